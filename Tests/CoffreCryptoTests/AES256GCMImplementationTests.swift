import CoffreCrypto
import Testing

/// The vector AES-GCM (`CAES256GCM`) against OpenSSL's: the same bytes for every length around
/// the block and 16-block edges, every way of splitting a message into updates, in place or
/// not; and the vector code's own refusals.
@Suite(.enabled(if: AES256GCM.Implementation.vectorAESAvailable, "this CPU lacks VAES / VPCLMULQDQ / AVX-512"))
struct AES256GCMImplementationTests {
    /// SplitMix64: reproducible inputs and split points.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        /// `count` bytes, eight per `next()` (a plain loop: `map` with `random(in:using:)` costs
        /// generic metadata lookups per byte in debug builds).
        mutating func bytes(_ count: Int) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: count)
            var index = 0
            while index < count {
                var word = next()
                let end = min(index + 8, count)
                while index < end {
                    bytes[index] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                    index += 1
                }
            }
            return bytes
        }
    }

    static let lengths: [Int] = Array(0...600) + [4_095, 4_096, 4_097, 65_535, 65_536, 65_553, (1 << 20) + 3, 4 << 20]

    /// Seals with `cipher` in pieces of random sizes (some empty, some single bytes), in place
    /// when `inPlace`; returns ciphertext ‖ tag.
    static func sealInPieces(
        _ cipher: AES256GCM, _ plaintext: [UInt8], nonce: [UInt8], aad: [UInt8], inPlace: Bool, using generator: inout Generator
    ) throws -> [UInt8] {
        var out = inPlace ? plaintext + [UInt8](repeating: 0, count: 16) : [UInt8](repeating: 0, count: plaintext.count + 16)
        try aad.withUnsafeBytes { try cipher.beginSealing(nonce: nonce, aad: $0) }
        try plaintext.withUnsafeBytes { p in
            try out.withUnsafeMutableBytes { o in
                var offset = 0
                while offset < p.count {
                    let size = Bool.random(using: &generator) ? Int.random(in: 0...20, using: &generator) : Int.random(in: 0...(p.count - offset), using: &generator)
                    let end = min(p.count, offset + size)
                    let target = UnsafeMutableRawBufferPointer(rebasing: o[offset..<end])
                    try cipher.update(inPlace ? UnsafeRawBufferPointer(target) : UnsafeRawBufferPointer(rebasing: p[offset..<end]), into: target)
                    offset = end
                }
                try cipher.finishSealing(tag: UnsafeMutableRawBufferPointer(rebasing: o[p.count...]))
            }
        }
        return out
    }

    @Test func sealsTheSameBytesAsOpenSSL() throws {
        var generator = Generator(state: 0xC0FF_EE01)
        let vector = try AES256GCM(key: [UInt8](repeating: 0, count: 32), implementation: .vectorAES)
        #expect(vector.implementation == .vectorAES)
        for length in Self.lengths {
            let key = generator.bytes(32), nonce = generator.bytes(12), aad = generator.bytes(Int.random(in: 0...40, using: &generator))
            let plaintext = generator.bytes(length)
            let expected = try AES256GCM(key: key, implementation: .openSSL).sealing(plaintext, nonce: nonce, aad: aad)
            try vector.rekey(key)
            let sealed = try Self.sealInPieces(vector, plaintext, nonce: nonce, aad: aad, inPlace: length % 2 == 0, using: &generator)
            #expect(sealed == expected, "length \(length)")
            // Each opens what the other sealed.
            #expect(try vector.opening(expected, nonce: nonce, aad: aad) == plaintext, "length \(length)")
            #expect(try AES256GCM(key: key, implementation: .openSSL).opening(sealed, nonce: nonce, aad: aad) == plaintext)
        }
    }

    @Test func refusesEveryAlteredByteAndZeroesTheOutput() throws {
        var generator = Generator(state: 7)
        let key = generator.bytes(32), nonce = generator.bytes(12), aad = Array("coffre/v1/chunk".utf8)
        let cipher = try AES256GCM(key: key, implementation: .vectorAES)
        let plaintext = generator.bytes(300)
        let sealed = try cipher.sealing(plaintext, nonce: nonce, aad: aad)
        for index in [0, 15, 16, 255, 256, 299, 300, 315] {
            for bit in [0, 7] {
                var altered = sealed
                altered[index] ^= 1 << bit
                #expect(throws: CryptoError.authenticationFailed) { try cipher.opening(altered, nonce: nonce, aad: aad) }
            }
        }
        var output = [UInt8](repeating: 0xAA, count: plaintext.count)
        var altered = sealed
        altered[10] ^= 1
        #expect(throws: CryptoError.authenticationFailed) {
            try altered.withUnsafeBytes { s in try aad.withUnsafeBytes { a in try output.withUnsafeMutableBytes { try cipher.open(s, nonce: nonce, aad: a, into: $0) } } }
        }
        #expect(isAllZero(output))
        #expect(throws: CryptoError.authenticationFailed) { try cipher.opening(sealed, nonce: nonce, aad: aad + [0]) }
        #expect(throws: CryptoError.authenticationFailed) { try cipher.opening(sealed, nonce: generator.bytes(12), aad: aad) }
    }

    @Test func refusesAMessageAboveGCMsLimit() throws {
        let cipher = try AES256GCM(key: [UInt8](repeating: 1, count: 32), implementation: .vectorAES)
        try cipher.beginSealing(nonce: [UInt8](repeating: 0, count: 12), aad: UnsafeRawBufferPointer(start: nil, count: 0))
        var byte: UInt8 = 0
        // SP 800-38D §5.2.1.1: 2^36 - 32 bytes at most. The length is checked before any byte is
        // touched, so a one-byte buffer stands in for the oversized one.
        try withUnsafeMutableBytes(of: &byte) { one in
            let oversized = (1 << 36) - 31
            let fake = UnsafeMutableRawBufferPointer(start: one.baseAddress, count: oversized)
            #expect(throws: CryptoError.self) { try cipher.update(UnsafeRawBufferPointer(fake), into: fake) }
        }
        // The message is over: finishing it is a misuse.
        #expect(throws: CryptoError.misuse("finishSealing without beginSealing")) {
            var tag = [UInt8](repeating: 0, count: 16)
            try tag.withUnsafeMutableBytes { try cipher.finishSealing(tag: $0) }
        }
    }

    @Test func preferredIsTheVectorCodeUnlessOpenSSLIsAsked() throws {
        let asked = AES256GCM.Implementation.preferred
        #expect(try AES256GCM(key: [UInt8](repeating: 2, count: 32)).implementation == asked)
        #expect(try AES256GCM(key: [UInt8](repeating: 2, count: 32), implementation: .openSSL).implementation == .openSSL)
    }
}

extension AES256GCM {
    /// One-shot seal into a new array (ciphertext ‖ tag).
    func sealing(_ plaintext: [UInt8], nonce: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        try plaintext.withUnsafeBytes { p in try aad.withUnsafeBytes { a in try out.withUnsafeMutableBytes { try seal(p, nonce: nonce, aad: a, into: $0) } } }
        return out
    }

    /// One-shot open into a new array.
    func opening(_ sealed: [UInt8], nonce: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: sealed.count - 16)
        try sealed.withUnsafeBytes { s in try aad.withUnsafeBytes { a in try out.withUnsafeMutableBytes { try open(s, nonce: nonce, aad: a, into: $0) } } }
        return out
    }
}
