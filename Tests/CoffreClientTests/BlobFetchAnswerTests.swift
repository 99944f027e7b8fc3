@testable import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Testing

/// `BlobFetchAnswer`, the client's reader of a blob-fetch answer: records in any pieces, the
/// empty and missing blobs, and every way a hostile server can break the answer.
@Suite struct BlobFetchAnswerTests {
    private static func blob(_ text: String) -> (id: BlobID, bytes: [UInt8]) {
        let bytes = Array(text.utf8)
        return (BlobID(bytes: try! SHA256.hash(bytes))!, bytes)
    }

    private static func record(_ id: BlobID, _ bytes: [UInt8]) -> [UInt8] {
        BlobBatchFraming.header(id: id, length: UInt32(bytes.count)) + bytes
    }

    /// Reads `body` cut into pieces of `pieceSize` as the answer to `ids`.
    private static func read(
        _ body: [UInt8], ids: [BlobID], capacity: Int = 1_000, pieceSize: Int = 7
    ) throws(APIClientError) -> [FetchedBlob] {
        var answer = BlobFetchAnswer(ids: ids, capacities: Array(repeating: capacity, count: ids.count))
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + pieceSize)
            try answer.feed(Array(body[offset..<end]))
            offset = end
        }
        return try answer.finish()
    }

    private static let one = blob("one")
    private static let two = blob("two two")
    private static let empty = blob("")

    @Test(arguments: [1, 7, 36, 10_000])
    func recordsInAnyPiecesRoundTrip(pieceSize: Int) throws {
        let missing = Self.blob("never stored").id
        let body = Self.record(Self.one.id, Self.one.bytes) + Self.record(missing, []) + Self.record(Self.empty.id, [])
            + Self.record(Self.two.id, Self.two.bytes)
        let fetched = try Self.read(body, ids: [Self.one.id, missing, Self.empty.id, Self.two.id], pieceSize: pieceSize)
        #expect(fetched == [.bytes(Self.one.bytes), .absent, .bytes([]), .bytes(Self.two.bytes)])
    }

    @Test func aPrefixIsAnAnswerButNothingIsNot() throws {
        let body = Self.record(Self.one.id, Self.one.bytes)
        #expect(try Self.read(body, ids: [Self.one.id, Self.two.id]) == [.bytes(Self.one.bytes)])
        #expect(throws: APIClientError.self) { try Self.read([], ids: [Self.one.id]) }
        #expect(try Self.read([], ids: []) == [])
    }

    @Test func aRecordBeyondItsCapacityIsDroppedAlone() throws {
        let body = Self.record(Self.two.id, Self.two.bytes) + Self.record(Self.one.id, Self.one.bytes)
        #expect(try Self.read(body, ids: [Self.two.id, Self.one.id], capacity: 3) == [.tooLarge(limit: 3), .bytes(Self.one.bytes)])
    }

    @Test func hostileAnswersAreBadResponses() {
        let one = Self.record(Self.one.id, Self.one.bytes)
        let two = Self.record(Self.two.id, Self.two.bytes)
        let ids = [Self.one.id, Self.two.id]
        let hostile: [(String, [UInt8])] = [
            ("cut inside a record's bytes", Array((one + two).dropLast(2))),
            ("cut inside a header", one + Array(two.prefix(20))),
            ("out of order", two + one),
            ("an id not asked for", Self.record(Self.empty.id, [])),
            ("more records than ids", one + two + one),
            // A length longer than the bytes that follow: the next record's header is read as bytes and the body ends cut.
            ("a record longer than announced", BlobBatchFraming.header(id: Self.one.id, length: 5) + Self.one.bytes + Array("extra".utf8)),
        ]
        for (reason, body) in hostile {
            #expect(throws: APIClientError.self, "\(reason)") { try Self.read(body, ids: ids) }
        }
    }
}
