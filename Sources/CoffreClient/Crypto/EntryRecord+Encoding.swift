import CoffreCrypto

/// The deterministic binary form of a record (docs/format.md, "Record plaintext"), padded with
/// zeros to a multiple of 256 bytes:
///
///     u8 format (1) ‖ u8 kind ‖ lp(name) ‖ i64be mtime ‖ u32be mode ‖ u64be size ‖ lp(target)
///     ‖ u8 manifestForm (0 none, 1 inline, 2 indirect) ‖ u16be count ‖ count × ChunkReference
///     ‖ [u16be propertiesLength ‖ properties, only when not empty] ‖ zeros
///
/// The properties field is optional: zero padding reads as an absent one, so records written
/// before it existed decode unchanged and a record without properties encodes as before.
extension EntryRecord {
    static let format: UInt8 = 1
    /// Records are padded to a multiple of this many bytes.
    public static let bucketByteCount = 256
    /// The largest padded plaintext any valid record can have.
    static let maximumPaddedByteCount: Int = {
        let largest = 2 + 2 + maximumNameByteCount + 8 + 4 + 8 + 2 + maximumTargetByteCount + 1 + 2
            + maximumInlineReferences * ChunkReference.encodedByteCount + 2 + maximumDeadPropertiesByteCount
        return (largest + bucketByteCount - 1) / bucketByteCount * bucketByteCount
    }()

    /// The padded encoding. It holds chunk keys: wipe it (`SecretBytes.wipe`) after use.
    func encoded() throws(CryptoFormatError) -> [UInt8] {
        var normalized = self
        normalized.name = String(decoding: name.nfcUTF8, as: UTF8.self)
        try normalized.validate()
        var writer = ByteWriter(capacity: Self.maximumPaddedByteCount)
        writer.u8(Self.format)
        writer.u8(kind.rawValue)
        writer.lengthPrefixed(Array(normalized.name.utf8))
        writer.i64(modificationTime)
        writer.u32(mode)
        writer.u64(size)
        writer.lengthPrefixed(Array((symlinkTarget ?? "").utf8))
        let (form, references): (UInt8, [ChunkReference]) = switch manifest {
        case .none: (0, [])
        case .inline(let chunks): (1, chunks)
        case .indirect(let blobs): (2, blobs)
        }
        writer.u8(form)
        writer.u16(UInt16(references.count))
        for reference in references { reference.write(to: &writer) }
        if !deadProperties.isEmpty {
            writer.u16(UInt16(deadProperties.count))
            writer.raw(deadProperties)
        }
        let count = writer.bytes.count
        writer.zeros((count + Self.bucketByteCount - 1) / Self.bucketByteCount * Self.bucketByteCount - count)
        return writer.bytes
    }

    /// Parses a padded encoding (untrusted, though authenticated): every length is bounded,
    /// padding must be zero, and the result must `validate()` and be of `expectedKind`.
    static func decode(_ bytes: UnsafeRawBufferPointer, expectedKind: Kind) throws(CryptoFormatError) -> EntryRecord {
        let structure = "entry record"
        guard bytes.count % bucketByteCount == 0, bytes.count > 0, bytes.count <= maximumPaddedByteCount else {
            throw .malformed(structure: structure, reason: "padded size \(bytes.count) is not a 256-byte bucket within bounds")
        }
        var reader = ByteReader(bytes, structure: structure)
        let format = try reader.u8()
        guard format == Self.format else { throw .unsupportedVersion(structure: structure, version: format) }
        guard let kind = Kind(rawValue: try reader.u8()) else { throw .malformed(structure: structure, reason: "unknown kind") }
        guard kind == expectedKind else { throw .recordInconsistent("kind differs from the entry's kind") }
        let nameBytes = try reader.lengthPrefixed(maximum: maximumNameByteCount, field: "name")
        guard let name = String(validating: nameBytes, as: UTF8.self) else { throw .invalidName("not UTF-8") }
        let mtime = try reader.i64()
        let mode = try reader.u32()
        let size = try reader.u64()
        let targetBytes = try reader.lengthPrefixed(maximum: maximumTargetByteCount, field: "symlink target")
        guard let target = String(validating: targetBytes, as: UTF8.self) else {
            throw .malformed(structure: structure, reason: "symlink target is not UTF-8")
        }
        let form = try reader.u8()
        let count = Int(try reader.u16())
        guard count <= maximumInlineReferences else { throw .malformed(structure: structure, reason: "too many references") }
        var references: [ChunkReference] = []
        references.reserveCapacity(count)
        for _ in 0..<count { references.append(try ChunkReference.read(from: &reader)) }
        var properties: [UInt8] = []
        if reader.remaining >= 2 {
            let length = Int(try reader.u16())
            guard length <= maximumDeadPropertiesByteCount else { throw .malformed(structure: structure, reason: "dead properties too long") }
            properties = Array(try reader.take(length))
        }
        try reader.requireZeroTail()
        let manifest: Manifest
        switch form {
        case 0:
            guard references.isEmpty else { throw .recordInconsistent("references without a manifest") }
            manifest = .none
        case 1: manifest = .inline(references)
        case 2: manifest = .indirect(references)
        default: throw .malformed(structure: structure, reason: "unknown manifest form \(form)")
        }
        let record = EntryRecord(
            kind: kind, name: name, modificationTime: mtime, mode: mode, size: size,
            symlinkTarget: kind == .symlink ? target : (target.isEmpty ? nil : target), manifest: manifest,
            deadProperties: properties)
        try record.validate()
        return record
    }
}
