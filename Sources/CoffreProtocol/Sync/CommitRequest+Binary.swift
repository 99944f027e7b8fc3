/// The binary encoding of a commit body (`Content-Type: application/vnd.coffre.commit`,
/// docs/protocol.md, "Binary encodings"): the same information as the JSON form, without text
/// ids or base64. Integers are big-endian; `[n]` is n raw bytes.
///
///     version    u8   1
///     flags      u8   bit 0: a commit id follows; every other bit 0
///     commitId   [16] only with flag bit 0
///     count      u32  number of changes
///     count × change:
///       entryId [16] · baseRev i64 · parentId [16] · kind u8 (1 file, 2 folder, 3 symlink)
///       · deleted u8 (0 or 1) · nameTag [32] · recordLength u32 · record [recordLength]
///       · blobCount u32 · blobCount × blobId [32]
///
/// Nothing may follow the last change.
extension CommitRequest {
    /// The media type of the binary form.
    public static let binaryMediaType = "application/vnd.coffre.commit"
    /// The version byte this code writes and reads.
    public static let binaryVersion: UInt8 = 1
    /// Bytes of a change without its record and blob ids.
    static let binaryChangeFixedBytes = 16 + 8 + 16 + 1 + 1 + NameTag.byteCount + 4 + 4

    /// The binary form.
    public func binaryEncoded() -> [UInt8] {
        let capacity = changes.reduce(2 + 16 + 4) {
            $0 + Self.binaryChangeFixedBytes + $1.record.count + $1.blobs.count * BlobID.byteCount
        }
        var writer = BinaryWireWriter(capacity: capacity)
        writer.byte(Self.binaryVersion)
        writer.byte(commitId == nil ? 0 : 1)
        if let commitId { writer.identifier(commitId) }
        writer.count(changes.count)
        for change in changes {
            writer.identifier(change.entryId)
            writer.int64(change.baseRev)
            writer.identifier(change.parentId)
            writer.byte(UInt8(change.kind.code))
            writer.flag(change.deleted)
            writer.nameTag(change.nameTag)
            writer.record(change.record)
            writer.count(change.blobs.count)
            for blob in change.blobs { writer.blobID(blob) }
        }
        return writer.bytes
    }

    /// Decodes the binary form under `limits`; throws `BinaryWireError` for a body that
    /// breaks the layout or the limits. Every count is checked against the limit and against
    /// the bytes left before anything is reserved for it.
    public init(binary body: [UInt8], limits: BinaryWireLimits) throws(BinaryWireError) {
        // withUnsafeBytes rethrows untyped errors: the typed error travels in a Result.
        let decoded = body.withUnsafeBytes { raw in
            Result { () throws(BinaryWireError) -> CommitRequest in try Self.decodeBinary(raw, limits: limits) }
        }
        self = try decoded.get()
    }

    private static func decodeBinary(_ raw: UnsafeRawBufferPointer, limits: BinaryWireLimits) throws(BinaryWireError) -> CommitRequest {
        var reader = BinaryWireReader(raw)
        guard raw.count > 0, try reader.byte() == Self.binaryVersion else { throw .unsupportedVersion }
        let flags = try reader.byte()
        guard flags & ~1 == 0 else { throw .invalidValue(field: "flags byte") }
        var commitId: CommitID?
        if flags & 1 == 1 { commitId = try reader.identifier(CommitIDPurpose.self) }
        let count = try reader.count(
            limit: limits.maxEntries, rule: "a commit holds at most \(limits.maxEntries) changes")
        try reader.requireItems(count, minimumSize: Self.binaryChangeFixedBytes)
        var changes: [EntryChange] = []
        changes.reserveCapacity(count)
        var blobTotal = 0
        for _ in 0..<count {
            let entryId: EntryID = try reader.identifier()
            let baseRev = try reader.int64()
            let parentId: EntryID = try reader.identifier()
            let kind = try reader.kind()
            let deleted = try reader.flag("deleted flag")
            let nameTag = try reader.nameTag()
            let record = try reader.record(maxBytes: limits.maxRecordBytes)
            let blobCount = try reader.count(
                limit: limits.maxBlobsPerEntry, rule: "an entry references at most \(limits.maxBlobsPerEntry) blobs")
            blobTotal += blobCount
            guard blobTotal <= limits.maxBlobsPerCommit else {
                throw .limitExceeded(rule: "a commit references at most \(limits.maxBlobsPerCommit) blobs")
            }
            try reader.requireItems(blobCount, minimumSize: BlobID.byteCount)
            var blobs: [BlobID] = []
            blobs.reserveCapacity(blobCount)
            for _ in 0..<blobCount { blobs.append(try reader.blobID()) }
            changes.append(
                EntryChange(
                    entryId: entryId, baseRev: baseRev, parentId: parentId, kind: kind, nameTag: nameTag,
                    deleted: deleted, record: record, blobs: blobs))
        }
        try reader.finish()
        return CommitRequest(commitId: commitId, changes: changes)
    }
}
