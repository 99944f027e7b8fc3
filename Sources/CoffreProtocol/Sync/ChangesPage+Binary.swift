/// The binary encoding of a changes page (`Accept: application/vnd.coffre.changes`,
/// docs/protocol.md, "Binary encodings"): the same information as the JSON form, without text
/// ids or base64. Integers are big-endian; `[n]` is n raw bytes.
///
///     version    u8   1
///     cursor     i64
///     hasMore    u8   0 or 1
///     count      u32  number of entries
///     count × entry:
///       entryId [16] · rev i64 · parentId [16] · kind u8 (1 file, 2 folder, 3 symlink)
///       · deleted u8 (0 or 1) · nameTag [32] · recordLength u32 · record [recordLength]
///
/// Nothing may follow the last entry.
extension ChangesPage {
    /// The media type of the binary form.
    public static let binaryMediaType = "application/vnd.coffre.changes"
    /// The version byte this code writes and reads.
    public static let binaryVersion: UInt8 = 1
    /// Bytes of an entry without its record.
    static let binaryEntryFixedBytes = 16 + 8 + 16 + 1 + 1 + NameTag.byteCount + 4

    /// The binary form.
    public func binaryEncoded() -> [UInt8] {
        let capacity = entries.reduce(1 + 8 + 1 + 4) { $0 + Self.binaryEntryFixedBytes + $1.record.count }
        var writer = BinaryWireWriter(capacity: capacity)
        writer.byte(Self.binaryVersion)
        writer.int64(cursor)
        writer.flag(hasMore)
        writer.count(entries.count)
        for entry in entries {
            writer.identifier(entry.entryId)
            writer.int64(entry.rev)
            writer.identifier(entry.parentId)
            writer.byte(UInt8(entry.kind.code))
            writer.flag(entry.deleted)
            writer.nameTag(entry.nameTag)
            writer.record(entry.record)
        }
        return writer.bytes
    }

    /// Decodes the binary form under `limits` (`maxEntries`, `maxRecordBytes`); throws
    /// `BinaryWireError` for a body that breaks the layout or the limits. The entry count is
    /// checked against the limit and against the bytes left before anything is reserved.
    public init(binary body: [UInt8], limits: BinaryWireLimits = .client) throws(BinaryWireError) {
        // withUnsafeBytes rethrows untyped errors: the typed error travels in a Result.
        let decoded = body.withUnsafeBytes { raw in
            Result { () throws(BinaryWireError) -> ChangesPage in try Self.decodeBinary(raw, limits: limits) }
        }
        self = try decoded.get()
    }

    private static func decodeBinary(_ raw: UnsafeRawBufferPointer, limits: BinaryWireLimits) throws(BinaryWireError) -> ChangesPage {
        var reader = BinaryWireReader(raw)
        guard raw.count > 0, try reader.byte() == Self.binaryVersion else { throw .unsupportedVersion }
        let cursor = try reader.int64()
        let hasMore = try reader.flag("hasMore flag")
        let count = try reader.count(limit: limits.maxEntries, rule: "a page holds at most \(limits.maxEntries) entries")
        try reader.requireItems(count, minimumSize: Self.binaryEntryFixedBytes)
        var entries: [EntryState] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let entryId: EntryID = try reader.identifier()
            let rev = try reader.int64()
            let parentId: EntryID = try reader.identifier()
            let kind = try reader.kind()
            let deleted = try reader.flag("deleted flag")
            let nameTag = try reader.nameTag()
            let record = try reader.record(maxBytes: limits.maxRecordBytes)
            entries.append(
                EntryState(
                    entryId: entryId, rev: rev, parentId: parentId, kind: kind, nameTag: nameTag, deleted: deleted,
                    record: record))
        }
        try reader.finish()
        return ChangesPage(entries: entries, cursor: cursor, hasMore: hasMore)
    }
}
