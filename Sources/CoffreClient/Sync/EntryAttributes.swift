import CoffreCrypto
import CoffreProtocol

/// What an entry's record says (docs/format.md, "Record plaintext"), decrypted, as the index
/// keeps it for the remote and synced trees, plus the key generation it belongs to.
struct EntryAttributes: Sendable, Equatable {
    /// The name in its folder, NFC.
    var name: String
    /// Nanoseconds since the epoch.
    var modificationTime: Int64
    /// Permission bits (the sync writes only 0o777).
    var mode: UInt32
    /// True size (files).
    var size: UInt64
    /// Symlinks only.
    var symlinkTarget: String?
    /// The record's own manifest: inline chunks, or the blobs of an indirect manifest.
    var manifest: StoredManifest
    /// The key generation the record and chunks are sealed under.
    var generation: UInt32
    /// The WebDAV gateway's dead properties (an opaque field of the record, docs/format.md):
    /// carried over when the sync engine publishes a new version of the entry.
    var deadProperties: [UInt8]

    /// The attributes of an opened record.
    init(record: EntryRecord, generation: UInt32) {
        name = record.name
        modificationTime = record.modificationTime
        mode = record.mode
        size = record.size
        symlinkTarget = record.symlinkTarget
        manifest = StoredManifest(record.manifest)
        self.generation = generation
        deadProperties = record.deadProperties
    }

    /// Attributes from their parts.
    init(
        name: String, modificationTime: Int64, mode: UInt32, size: UInt64, symlinkTarget: String?,
        manifest: StoredManifest, generation: UInt32, deadProperties: [UInt8] = []
    ) {
        self.name = name
        self.modificationTime = modificationTime
        self.mode = mode
        self.size = size
        self.symlinkTarget = symlinkTarget
        self.manifest = manifest
        self.generation = generation
        self.deadProperties = deadProperties
    }

    /// The record of an entry of `kind` with these attributes.
    func record(kind: EntryKind) -> EntryRecord {
        EntryRecord(
            kind: kind.recordKind, name: name, modificationTime: modificationTime, mode: mode,
            size: kind == .file ? size : 0, symlinkTarget: kind == .symlink ? symlinkTarget : nil,
            manifest: kind == .file ? manifest.recordManifest : .none, deadProperties: deadProperties)
    }

    /// Same content: the same chunks (blob ids follow from the plaintext, so equal ids mean
    /// equal bytes) or the same link target.
    func hasSameContent(as other: EntryAttributes) -> Bool {
        manifest.hasSameBlobs(as: other.manifest) && symlinkTarget == other.symlinkTarget && size == other.size
    }
}

/// A record's manifest as stored in the index: its form and its references (68 bytes each).
struct StoredManifest: Sendable, Equatable {
    /// docs/format.md: 0 none (folders, symlinks), 1 inline, 2 indirect.
    enum Form: Int64, Sendable {
        case none = 0
        case inline = 1
        case indirect = 2
    }

    var form: Form
    var references: [ChunkReference]

    /// The manifest of a record.
    init(_ manifest: EntryRecord.Manifest) {
        switch manifest {
        case .none: (form, references) = (.none, [])
        case .inline(let chunks): (form, references) = (.inline, chunks)
        case .indirect(let blobs): (form, references) = (.indirect, blobs)
        }
    }

    /// A manifest from its stored form and encoded references.
    init(form: Form, encoded: [UInt8]) throws(CryptoFormatError) {
        self.form = form
        references = try StoredManifest.decodeReferences(encoded)
    }

    /// No manifest (folders, symlinks).
    static let none = StoredManifest(.none)

    /// The record manifest.
    var recordManifest: EntryRecord.Manifest {
        switch form {
        case .none: return .none
        case .inline: return .inline(references)
        case .indirect: return .indirect(references)
        }
    }

    /// The references back to back, 68 bytes each.
    var encodedReferences: [UInt8] { Self.encode(references) }

    /// Equal blob ids in the same order and form.
    func hasSameBlobs(as other: StoredManifest) -> Bool {
        form == other.form && references.map(\.blobID) == other.references.map(\.blobID)
    }

    /// References back to back (docs/format.md, "Chunk reference").
    static func encode(_ references: [ChunkReference]) -> [UInt8] {
        var writer = ByteWriter(capacity: references.count * ChunkReference.encodedByteCount)
        for reference in references { reference.write(to: &writer) }
        return writer.bytes
    }

    /// Parses references back to back; the length must be a whole number of them.
    static func decodeReferences(_ bytes: [UInt8]) throws(CryptoFormatError) -> [ChunkReference] {
        guard bytes.count % ChunkReference.encodedByteCount == 0 else {
            throw .malformed(structure: "stored manifest", reason: "not a whole number of references")
        }
        return try ByteAccess.with(bytes) { (raw: UnsafeRawBufferPointer) throws(CryptoFormatError) in
            var reader = ByteReader(raw, structure: "stored manifest")
            var references: [ChunkReference] = []
            references.reserveCapacity(bytes.count / ChunkReference.encodedByteCount)
            for _ in 0..<(bytes.count / ChunkReference.encodedByteCount) {
                references.append(try ChunkReference.read(from: &reader))
            }
            return references
        }
    }
}
