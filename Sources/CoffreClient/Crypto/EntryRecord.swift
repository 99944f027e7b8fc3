import CoffreCrypto

/// The plaintext of one entry revision (docs/format.md, "Entry records"): everything about a
/// file, folder or symlink that the server must not learn.
public struct EntryRecord: Sendable, Equatable {
    /// What an entry is. The server knows the kind (it enforces "parent is a folder"), so it is
    /// also bound into the record's associated data.
    public enum Kind: UInt8, Sendable {
        case file = 1
        case folder = 2
        case symlink = 3
    }

    /// Where the chunk list lives.
    public enum Manifest: Sendable, Equatable {
        /// Folders and symlinks have none.
        case none
        /// The chunks themselves, in order (at most `EntryRecord.maximumInlineReferences`).
        case inline([ChunkReference])
        /// Blobs whose plaintexts, concatenated, are the encoded chunk list (see `ManifestPacking`).
        case indirect([ChunkReference])
    }

    /// Most references a record lists, inline chunks or manifest blobs.
    public static let maximumInlineReferences = 64
    /// Longest name, in UTF-8 bytes after NFC.
    public static let maximumNameByteCount = 1024
    /// Longest symlink target, in UTF-8 bytes.
    public static let maximumTargetByteCount = 4096
    /// Largest `deadProperties` field: what fits with a largest record under the server's
    /// 16 KiB record limit (docs/format.md, "Record plaintext").
    public static let maximumDeadPropertiesByteCount = 6_144

    /// The kind.
    public var kind: Kind
    /// The name within its parent folder (normalized to NFC when encoded).
    public var name: String
    /// Modification time, nanoseconds since the Unix epoch.
    public var modificationTime: Int64
    /// Permission bits (at most 0o7777).
    public var mode: UInt32
    /// True size in bytes (0 for folders and symlinks).
    public var size: UInt64
    /// The link target, for symlinks only.
    public var symlinkTarget: String?
    /// The chunk list of a file.
    public var manifest: Manifest
    /// WebDAV dead properties of the entry, as the gateway encodes them (opaque here; empty
    /// when none). Optional trailing field: a record without it encodes exactly as before.
    public var deadProperties: [UInt8]

    /// A record; `validate()` checks it (encoding does so too).
    public init(
        kind: Kind, name: String, modificationTime: Int64, mode: UInt32, size: UInt64,
        symlinkTarget: String? = nil, manifest: Manifest = .none, deadProperties: [UInt8] = []
    ) {
        self.kind = kind
        self.name = name
        self.modificationTime = modificationTime
        self.mode = mode
        self.size = size
        self.symlinkTarget = symlinkTarget
        self.manifest = manifest
        self.deadProperties = deadProperties
    }

    /// Checks the rules every record obeys, whoever wrote it.
    public func validate() throws(CryptoFormatError) {
        try Self.validateName(name)
        guard mode & ~0o7777 == 0 else { throw .recordInconsistent("mode has bits above 0o7777") }
        guard deadProperties.count <= Self.maximumDeadPropertiesByteCount else {
            throw .recordInconsistent("dead properties above \(Self.maximumDeadPropertiesByteCount) bytes")
        }
        switch kind {
        case .file:
            guard symlinkTarget == nil else { throw .recordInconsistent("a file has no symlink target") }
            switch manifest {
            case .none: throw .recordInconsistent("a file needs a manifest")
            case .inline(let chunks):
                guard chunks.count <= Self.maximumInlineReferences else { throw .recordInconsistent("too many inline chunks") }
                guard chunks.allSatisfy({ $0.length > 0 }) else { throw .recordInconsistent("empty chunk in manifest") }
                guard chunks.reduce(UInt64(0), { $0 + UInt64($1.length) }) == size else {
                    throw .recordInconsistent("size differs from the sum of chunk lengths")
                }
            case .indirect(let blobs):
                guard !blobs.isEmpty, blobs.count <= Self.maximumInlineReferences else {
                    throw .recordInconsistent("indirect manifest needs 1...\(Self.maximumInlineReferences) blobs")
                }
            }
        case .folder, .symlink:
            guard size == 0, manifest == .none else { throw .recordInconsistent("only files have a size and chunks") }
            if kind == .folder {
                guard symlinkTarget == nil else { throw .recordInconsistent("a folder has no symlink target") }
            } else {
                let target = Array((symlinkTarget ?? "").utf8)
                guard !target.isEmpty, target.count <= Self.maximumTargetByteCount, !target.contains(0) else {
                    throw .recordInconsistent("symlink target must be 1...\(Self.maximumTargetByteCount) bytes without NUL")
                }
            }
        }
    }

    /// A name is 1...1024 UTF-8 bytes in NFC, without `/` or NUL, and not `.` or `..`.
    static func validateName(_ name: String) throws(CryptoFormatError) {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumNameByteCount else {
            throw .invalidName("must be 1...\(maximumNameByteCount) bytes")
        }
        guard !bytes.contains(0x2f), !bytes.contains(0) else { throw .invalidName("contains '/' or NUL") }
        guard name != ".", name != ".." else { throw .invalidName("'.' and '..' are reserved") }
        guard name.nfcUTF8 == bytes else { throw .invalidName("not in Unicode NFC") }
    }
}
