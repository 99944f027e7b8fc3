import CoffreCrypto
import Testing

@Suite struct AES256GCMTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String, key: String, nonce: String, plaintext: String, aad: String, ciphertext: String, tag: String
        var testDescription: String { name }
    }

    static let k15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
    static let p15 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
    static let c15 = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"

    // McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13–16 (AES-256).
    static let vectors = [
        Vector(name: "TC13 empty", key: String(repeating: "00", count: 32), nonce: String(repeating: "00", count: 12),
               plaintext: "", aad: "", ciphertext: "", tag: "530f8afbc74536b9a963b4f1c4cb738b"),
        Vector(name: "TC14 one block", key: String(repeating: "00", count: 32), nonce: String(repeating: "00", count: 12),
               plaintext: String(repeating: "00", count: 16), aad: "", ciphertext: "cea7403d4d606b6e074ec5d3baf39d18",
               tag: "d0d1c8a799996bf0265b98b5d48ab919"),
        Vector(name: "TC15 no AAD", key: k15, nonce: "cafebabefacedbaddecaf888", plaintext: p15, aad: "", ciphertext: c15,
               tag: "b094dac5d93471bdec1a502270e3cc6c"),
        Vector(name: "TC16 with AAD", key: k15, nonce: "cafebabefacedbaddecaf888", plaintext: String(p15.prefix(120)),
               aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2", ciphertext: String(c15.prefix(120)),
               tag: "76fc6ece0f4e1768cddf8853bb2d551b"),
    ]

    @Test(arguments: vectors)
    func knownAnswers(vector: Vector) throws {
        let sealed = try AES256GCM.seal(
            Hex.decode(vector.plaintext), key: Hex.decode(vector.key), nonce: Hex.decode(vector.nonce), aad: Hex.decode(vector.aad))
        #expect(Hex.encode(sealed) == vector.ciphertext + vector.tag)
        let opened = try AES256GCM.open(sealed, key: Hex.decode(vector.key), nonce: Hex.decode(vector.nonce), aad: Hex.decode(vector.aad))
        #expect(Hex.encode(opened) == vector.plaintext)
    }

    @Test func everyFlippedBitIsDetected() throws {
        let v = Self.vectors[3]
        let key = Hex.decode(v.key), nonce = Hex.decode(v.nonce), aad = Hex.decode(v.aad)
        let sealed = Hex.decode(v.ciphertext + v.tag)
        // Ciphertext and tag: every byte, a different bit each time.
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] ^= 1 << UInt8(index % 8)
            #expect(throws: CryptoError.authenticationFailed) { try AES256GCM.open(tampered, key: key, nonce: nonce, aad: aad) }
        }
        for index in aad.indices {
            var tamperedAAD = aad
            tamperedAAD[index] ^= 0x80
            #expect(throws: CryptoError.authenticationFailed) { try AES256GCM.open(sealed, key: key, nonce: nonce, aad: tamperedAAD) }
        }
        var otherNonce = nonce
        otherNonce[0] ^= 1
        #expect(throws: CryptoError.authenticationFailed) { try AES256GCM.open(sealed, key: key, nonce: otherNonce, aad: aad) }
        var otherKey = key
        otherKey[31] ^= 1
        #expect(throws: CryptoError.authenticationFailed) { try AES256GCM.open(sealed, key: otherKey, nonce: nonce, aad: aad) }
        #expect(throws: CryptoError.authenticationFailed) { try AES256GCM.open(sealed.dropLast(), key: key, nonce: nonce, aad: aad) }
    }

    @Test func wrongLengthsAreRejected() {
        let key = [UInt8](repeating: 1, count: 32), nonce = [UInt8](repeating: 2, count: 12)
        #expect(throws: CryptoError.invalidLength(what: "AES-256-GCM key", expected: 32, actual: 16)) {
            try AES256GCM.seal([1], key: [UInt8](repeating: 1, count: 16), nonce: nonce)
        }
        #expect(throws: CryptoError.invalidLength(what: "AES-GCM nonce", expected: 12, actual: 16)) {
            try AES256GCM.seal([1], key: key, nonce: [UInt8](repeating: 2, count: 16))
        }
        #expect(throws: CryptoError.self) { try AES256GCM.open([UInt8](repeating: 0, count: 15), key: key, nonce: nonce) }
        let cipher = try? AES256GCM(key: key)
        var small = [UInt8](repeating: 0, count: 4)
        #expect(throws: CryptoError.self) {
            try [UInt8](repeating: 0, count: 8).withUnsafeBytes { input in
                try small.withUnsafeMutableBytes { try cipher?.seal(input, nonce: nonce, aad: UnsafeRawBufferPointer(start: nil, count: 0), into: $0) }
            }
        }
    }

    @Test func inPlaceLargeBufferAndFailureZeroesOutput() throws {
        let key = try SecureRandom.bytes(count: 32), nonce = try SecureRandom.bytes(count: 12)
        let plaintext = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let cipher = try AES256GCM(key: key)
        let aad = Array("coffre".utf8)
        var buffer = plaintext + [UInt8](repeating: 0, count: 16)
        try buffer.withUnsafeMutableBytes { raw in
            try aad.withUnsafeBytes { a in
                try cipher.seal(UnsafeRawBufferPointer(rebasing: raw[0..<plaintext.count]), nonce: nonce, aad: a, into: raw)
            }
        }
        #expect(buffer.prefix(64) != plaintext.prefix(64))
        #expect(try AES256GCM.open(buffer, key: key, nonce: nonce, aad: aad) == plaintext)
        buffer[1000] ^= 4
        var out = [UInt8](repeating: 0xff, count: plaintext.count)
        #expect(throws: CryptoError.authenticationFailed) {
            try buffer.withUnsafeBytes { sealed in
                try aad.withUnsafeBytes { a in try out.withUnsafeMutableBytes { try cipher.open(sealed, nonce: nonce, aad: a, into: $0) } }
            }
        }
        #expect(isAllZero(out))
    }

    @Test func streamingMatchesOneShotAndChecksOrder() throws {
        let key = [UInt8](repeating: 9, count: 32), nonce = [UInt8](repeating: 3, count: 12)
        let message = Array("split across several updates of odd sizes".utf8)
        let cipher = try AES256GCM(key: key)
        var out = [UInt8](repeating: 0, count: message.count + 16)
        #expect(throws: CryptoError.misuse("update before begin")) {
            try message.withUnsafeBytes { m in try out.withUnsafeMutableBytes { try cipher.update(m, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<m.count])) } }
        }
        try cipher.beginSealing(nonce: nonce, aad: UnsafeRawBufferPointer(start: nil, count: 0))
        try message.withUnsafeBytes { m in
            try out.withUnsafeMutableBytes { o in
                var offset = 0
                for size in [1, 7, 13, 0, 100] where offset < m.count {
                    let end = min(offset + size, m.count)
                    try cipher.update(UnsafeRawBufferPointer(rebasing: m[offset..<end]), into: UnsafeMutableRawBufferPointer(rebasing: o[offset..<end]))
                    offset = end
                }
                try cipher.finishSealing(tag: UnsafeMutableRawBufferPointer(rebasing: o[m.count...]))
            }
        }
        #expect(out == (try AES256GCM.seal(message, key: key, nonce: nonce)))
        #expect(throws: CryptoError.self) { try out.withUnsafeBytes { try cipher.finishOpening(tag: UnsafeRawBufferPointer(rebasing: $0[0..<16])) } }
    }
}

extension AES256GCMTests {
    @Test func rekeyedContextMatchesAFreshOne() throws {
        let first = Self.vectors[2], second = Self.vectors[1]
        let cipher = try AES256GCM(key: Hex.decode(first.key))
        var out = [UInt8](repeating: 0, count: 64 + 16)
        let none = UnsafeRawBufferPointer(start: nil, count: 0)
        // A message left unfinished under the first key, then the second vector under its key.
        try cipher.beginSealing(nonce: Hex.decode(first.nonce), aad: none)
        try cipher.rekey(Hex.decode(second.key))
        #expect(throws: CryptoError.misuse("finishSealing without beginSealing")) {
            try out.withUnsafeMutableBytes { try cipher.finishSealing(tag: UnsafeMutableRawBufferPointer(rebasing: $0[0..<16])) }
        }
        let plaintext = Hex.decode(second.plaintext)
        try plaintext.withUnsafeBytes { p in
            try out.withUnsafeMutableBytes { o in
                try cipher.beginSealing(nonce: Hex.decode(second.nonce), aad: none)
                try cipher.update(p, into: UnsafeMutableRawBufferPointer(rebasing: o[0..<p.count]))
                try cipher.finishSealing(tag: UnsafeMutableRawBufferPointer(rebasing: o[p.count..<(p.count + 16)]))
            }
        }
        #expect(Hex.encode(Array(out.prefix(plaintext.count + 16))) == second.ciphertext + second.tag)
    }

    @Test func rekeyRefusesAWrongLengthKey() throws {
        let cipher = try AES256GCM(key: [UInt8](repeating: 1, count: 32))
        #expect(throws: CryptoError.invalidLength(what: "AES-256-GCM key", expected: 32, actual: 31)) {
            try cipher.rekey([UInt8](repeating: 1, count: 31))
        }
    }
}
