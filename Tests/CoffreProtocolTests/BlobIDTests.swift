import CoffreProtocol
import Foundation
import Testing

@Suite struct BlobIDTests {
    /// SHA-256 of the empty string (FIPS 180-4 example value).
    static let emptyDigest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    @Test func parsesCanonicalFormAndRoundTrips() throws {
        let id = try #require(BlobID(hex: Self.emptyDigest))
        #expect(id.hex == Self.emptyDigest)
        #expect(id.description == Self.emptyDigest)
        #expect(id.bytes.count == 32)
        #expect(id.bytes.prefix(4) == [0xe3, 0xb0, 0xc4, 0x42])
        #expect(id.bytes.suffix(2) == [0xb8, 0x55])
        #expect(BlobID(bytes: id.bytes) == id)
        #expect(BlobID(Self.emptyDigest) == id)
    }

    @Test func bytesRoundTripForEveryByteValue() throws {
        for start in stride(from: 0, to: 256, by: 32) {
            let bytes = (start..<start + 32).map { UInt8($0) }
            let id = try #require(BlobID(bytes: bytes))
            #expect(id.bytes == bytes)
            #expect(BlobID(hex: id.hex) == id)
        }
    }

    static let nonCanonical: [String] = {
        let digest = emptyDigest
        var texts: [String] = ["", String(digest.dropLast()), digest + "0", digest.uppercased()]
        texts.append("E" + digest.dropFirst())  // one uppercase character
        texts.append("g" + digest.dropFirst())  // not hexadecimal
        texts.append(" " + digest.dropFirst())
        texts.append(String(digest.dropLast()) + "\n")
        texts.append("0x" + digest.dropFirst(2))
        texts.append("../" + digest.dropFirst(3))
        texts.append(String(digest.dropLast()) + "/")
        texts.append(String(digest.dropLast()) + "\u{0}")
        texts.append(String(repeating: "é", count: 32))  // 64 UTF-8 bytes, 32 characters
        texts.append(String(repeating: "a", count: 4096))
        return texts
    }()

    @Test(arguments: nonCanonical)
    func rejectsNonCanonicalText(_ text: String) {
        #expect(BlobID(hex: text) == nil)
        #expect(BlobID(text) == nil)
    }

    @Test func rejectsWrongByteCounts() {
        #expect(BlobID(bytes: [UInt8](repeating: 1, count: 31)) == nil)
        #expect(BlobID(bytes: [UInt8](repeating: 1, count: 33)) == nil)
        #expect(BlobID(bytes: [UInt8]()) == nil)
    }

    @Test func equalityAndHashingFollowEveryBit() throws {
        let base = [UInt8](repeating: 0xaa, count: 32)
        var lastBitFlipped = base
        lastBitFlipped[31] ^= 1
        var firstBitFlipped = base
        firstBitFlipped[0] ^= 0x80
        let ids = try [base, lastBitFlipped, firstBitFlipped, base].map { try #require(BlobID(bytes: $0)) }
        #expect(Set(ids).count == 3)
        #expect(ids[0] == ids[3])
        #expect(ids[0] != ids[1])
        #expect(ids[0] != ids[2])
    }

    @Test func codableAsHexString() throws {
        let id = try #require(BlobID(hex: Self.emptyDigest))
        let json = try JSONEncoder().encode([id])
        #expect(String(decoding: json, as: UTF8.self) == "[\"\(Self.emptyDigest)\"]")
        #expect(try JSONDecoder().decode([BlobID].self, from: json) == [id])
    }

    @Test(arguments: [
        "[\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"]",
        "[\"e3b0\"]",
        "[42]",
        "[null]",
        "[\"\"]",
    ])
    func decodingRejectsAnythingElse(_ json: String) {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([BlobID].self, from: Data(json.utf8))
        }
    }

    @Test func decodingErrorDoesNotEchoInput() {
        let marker = "secretmarker"
        do {
            _ = try JSONDecoder().decode([BlobID].self, from: Data("[\"\(marker)\"]".utf8))
            Issue.record("decoding should fail")
        } catch {
            #expect(!String(describing: error).contains(marker))
        }
    }
}

@Suite struct BlobIDFastPathTests {
    @Test func substringsAndRawBytesParseLikeStrings() throws {
        let id = try #require(BlobID(hex: BlobIDTests.emptyDigest))
        let path = "/blobs/" + BlobIDTests.emptyDigest
        #expect(BlobID(hex: path.dropFirst(7)) == id)
        #expect(Array(BlobIDTests.emptyDigest.utf8).withUnsafeBytes { BlobID(hexUTF8: $0) } == id)
        #expect(id.withUnsafeBytes { BlobID(bytes: $0) } == id)
        #expect(BlobID(bytes: id.bytes[...]) == id)
    }

    @Test(arguments: BlobIDTests.nonCanonical)
    func rawBytesRefuseNonCanonicalText(_ text: String) {
        #expect(Array(text.utf8).withUnsafeBytes { BlobID(hexUTF8: $0) } == nil)
        #expect(BlobID(hex: Substring(text)) == nil)
    }

    @Test func randomIdsRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1_000 {
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let id = try #require(BlobID(bytes: bytes))
            #expect(id.bytes == bytes)
            #expect(BlobID(hex: id.hex) == id)
        }
    }
}
