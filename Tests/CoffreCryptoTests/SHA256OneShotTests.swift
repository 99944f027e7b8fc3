import CoffreCrypto
import Testing

/// `SHA256.hash(_:into:)`, the heap-free one-shot: the same digests as the EVP path at every
/// length around the block and padding boundaries, and the FIPS 180-4 example values.
@Suite struct SHA256OneShotTests {
    private static func oneShot(_ message: [UInt8]) throws -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        try message.withUnsafeBytes { input in
            try digest.withUnsafeMutableBytes { try SHA256.hash(input, into: $0) }
        }
        return digest
    }

    @Test func knownAnswers() throws {
        #expect(SHA256Tests.hex(try Self.oneShot([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Tests.hex(try Self.oneShot(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let twoBlocks = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256Tests.hex(try Self.oneShot(twoBlocks)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// Every length from 0 to 300 bytes: tails of 0…63 bytes, the 55/56 padding boundary, and
    /// several whole blocks before the tail.
    @Test func matchesTheStreamingDigestAtEveryLength() throws {
        for length in 0...300 {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            #expect(try Self.oneShot(message) == SHA256.hash(message), "length \(length)")
        }
    }

    @Test func refusesAWrongSizedOutput() throws {
        var short = [UInt8](repeating: 0, count: 31)
        #expect(throws: CryptoError.invalidLength(what: "SHA-256 output", expected: 32, actual: 31)) {
            try [UInt8]().withUnsafeBytes { input in try short.withUnsafeMutableBytes { try SHA256.hash(input, into: $0) } }
        }
    }
}
