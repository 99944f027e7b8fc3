import CoffreCrypto
import Testing

@Suite struct HMACSHA256Tests {
    // RFC 4231 test cases 1 and 2.
    @Test func rfc4231() throws {
        let tag1 = try HMACSHA256.authenticationCode(
            for: Array("Hi There".utf8), key: [UInt8](repeating: 0x0b, count: 20))
        #expect(SHA256Tests.hex(tag1) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        let tag2 = try HMACSHA256.authenticationCode(
            for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(SHA256Tests.hex(tag2) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func streamingAndEmptyKey() throws {
        let mac = try HMACSHA256(key: [UInt8]())
        try mac.update(Array("a".utf8))
        try mac.update(Array("bc".utf8))
        #expect(try mac.finalize() == HMACSHA256.authenticationCode(for: Array("abc".utf8), key: [UInt8]()))
    }
}

extension HMACSHA256Tests {
    @Test func secretKeyAndSliceInputsMatchArrays() throws {
        let key: [UInt8] = Array(0..<40)
        let message = Array("the quick brown fox".utf8)
        let expected = try HMACSHA256.authenticationCode(for: message, key: key)
        #expect(try HMACSHA256.authenticationCode(for: message, key: SecretBytes(copying: key)) == expected)
        #expect(try HMACSHA256.authenticationCode(for: ([0] + message)[1...], key: key[0...]) == expected)
        #expect(try HMACSHA256.authenticationCode(for: message, key: key.dropLast()) != expected)
    }
}

extension HMACSHA256Tests {
    @Test func restartStartsAFreshMessageUnderTheSameKey() throws {
        let key = Array("Jefe".utf8)
        let message = Array("what do ya want for nothing?".utf8)
        let mac = try HMACSHA256(key: key)
        // Restarted mid-message: the bytes before the restart count for nothing.
        try mac.update(Array("abandoned".utf8))
        try mac.restart()
        try mac.update(message)
        var tag = [UInt8](repeating: 0, count: 32)
        try tag.withUnsafeMutableBytes { try mac.finalize(into: $0) }
        #expect(SHA256Tests.hex(tag) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Restarted after a finished message, many times over.
        for length in [0, 1, 64, 1000] {
            try mac.restart()
            try mac.update(Array(repeating: 7, count: length))
            #expect(try mac.finalize() == HMACSHA256.authenticationCode(for: [UInt8](repeating: 7, count: length), key: key))
        }
    }

    @Test func finalizeIntoRefusesAWrongSizedOutput() throws {
        let mac = try HMACSHA256(key: [UInt8](repeating: 1, count: 32))
        var short = [UInt8](repeating: 0, count: 31)
        #expect(throws: CryptoError.invalidLength(what: "HMAC-SHA256 output", expected: 32, actual: 31)) {
            try short.withUnsafeMutableBytes { try mac.finalize(into: $0) }
        }
    }
}
