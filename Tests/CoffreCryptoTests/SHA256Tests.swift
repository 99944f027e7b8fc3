import CoffreCrypto
import Foundation
import Testing

@Suite struct SHA256Tests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func emptyAndAbc() throws {
        // FIPS 180-4 / NIST CSRC example values.
        #expect(Self.hex(try SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.hex(try SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func streamingEqualsOneShot() throws {
        let message = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        let hasher = try SHA256()
        for chunk in stride(from: 0, to: message.count, by: 7) {
            try hasher.update(Array(message[chunk..<min(chunk + 7, message.count)]))
        }
        #expect(Self.hex(try hasher.finalize()) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}

extension SHA256Tests {
    @Test func restartStartsAFreshDigest() throws {
        let hasher = try SHA256()
        try hasher.update(Array("abandoned".utf8))
        try hasher.restart()
        try hasher.update(Array("abc".utf8))
        var digest = [UInt8](repeating: 0, count: 32)
        try digest.withUnsafeMutableBytes { try hasher.finalize(into: $0) }
        #expect(Self.hex(digest) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        try hasher.restart()
        #expect(Self.hex(try hasher.finalize()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func finalizeIntoRefusesAWrongSizedOutput() throws {
        let hasher = try SHA256()
        var long = [UInt8](repeating: 0, count: 33)
        #expect(throws: CryptoError.invalidLength(what: "SHA-256 output", expected: 32, actual: 33)) {
            try long.withUnsafeMutableBytes { try hasher.finalize(into: $0) }
        }
    }
}
