import CoffreProtocol
import Testing

/// The body of a commit carrying blobs: its two parts come back apart, and a body that lies
/// about its blob section is refused before anything is read from it.
@Suite struct CommitWithBlobsTests {
    private static let limits = BinaryWireLimits(maxEntries: 10, maxRecordBytes: 1_000, maxBlobsPerEntry: 10, maxBlobsPerCommit: 10)
    private static let blob = (id: BlobID(bytes: [UInt8](repeating: 3, count: 32))!, bytes: [UInt8](repeating: 9, count: 40))
    private static let commit = CommitRequest(changes: [
        EntryChange(
            entryId: EntryID(high: 1, low: 2), baseRev: 0, parentId: .root, kind: .file,
            nameTag: NameTag(bytes: [UInt8](repeating: 5, count: 32))!, record: Base64Bytes([1, 2, 3]), blobs: [blob.id])
    ])

    @Test func splitsIntoBlobRecordsAndCommit() throws {
        let body = CommitWithBlobs.encode(Self.commit, blobs: [Self.blob])
        let decoded = try CommitWithBlobs.decode(body, limits: Self.limits)
        #expect(decoded.commit == Self.commit)
        #expect(Array(decoded.blobRecords) == BlobBatchFraming.header(id: Self.blob.id, length: 40) + Self.blob.bytes)
        let none = try CommitWithBlobs.decode(CommitWithBlobs.encode(Self.commit, blobs: []), limits: Self.limits)
        #expect(none.blobRecords.isEmpty && none.commit == Self.commit)
    }

    @Test func hostileBodiesAreRefused() throws {
        let body = CommitWithBlobs.encode(Self.commit, blobs: [Self.blob])
        // Shorter than its length field; a blob section longer than the body; nothing after it.
        for cut in [[0, 0], [0, 0, 1, 0, 1, 2], Array(body.prefix(4 + 72))] {
            #expect(throws: BinaryWireError.self) { try CommitWithBlobs.decode(cut, limits: Self.limits) }
        }
        let tooMuch = UInt32(CommitWithBlobs.maximumBlobBytes + 1)
        let over = withUnsafeBytes(of: tooMuch.bigEndian) { Array($0) } + [UInt8](repeating: 0, count: 64)
        #expect(throws: BinaryWireError.limitExceeded(rule: "a commit carries at most \(CommitWithBlobs.maximumBlobBytes) bytes of blob records")) {
            try CommitWithBlobs.decode(over, limits: Self.limits)
        }
        // The commit part is held to the binary commit's own rules.
        #expect(throws: BinaryWireError.trailingBytes) { try CommitWithBlobs.decode(body + [0], limits: Self.limits) }
    }
}
