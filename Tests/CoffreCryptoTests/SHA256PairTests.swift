import CoffreCrypto
import Testing

/// `SHA256Stream`, `HMACSHA256Pads` and `SHA256Pair`: published vectors, then equality with
/// OpenSSL's `SHA256` and `HMACSHA256` for lengths around every block edge, paired and not.
@Suite(.enabled(if: SHA256Pair.isAvailable, "needs a CPU with the SHA extensions"))
struct SHA256PairTests {
    static func digest(_ message: [UInt8]) throws -> [UInt8] {
        let stream = try SHA256Stream()
        message.withUnsafeBytes { stream.update($0) }
        return try stream.finalize()
    }

    static func tag(_ message: [UInt8], key: [UInt8]) throws -> [UInt8] {
        let stream = try SHA256Stream(hmac: HMACSHA256Pads(key: key))
        message.withUnsafeBytes { stream.update($0) }
        return try stream.finalize()
    }

    /// Deterministic bytes (xorshift), so a failure is reproducible.
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        // A while loop, not `map` over a range: in debug builds that costs generic calls per
        // byte, seconds of the test run's two shared threads for a few MiB.
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBufferPointer { buffer in
            var index = 0
            while index < count {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                buffer[index] = UInt8(truncatingIfNeeded: state)
                index += 1
            }
        }
        return bytes
    }

    // FIPS 180-4 / NIST CSRC "SHA256.pdf" examples: one block, two blocks (448 bits), the
    // 896-bit message, and one million 'a'.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ])
    func fipsVectors(message: String, expected: String) throws {
        #expect(Hex.encode(try Self.digest(Array(message.utf8))) == expected)
    }

    @Test func oneMillionA() throws {
        let stream = try SHA256Stream()
        // Fed in pieces of 1,000 bytes, so the buffered tail crosses block edges every time.
        let piece = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<1000 { piece.withUnsafeBytes { stream.update($0) } }
        #expect(Hex.encode(try stream.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    // RFC 4231 section 4: test cases 1, 2, 3, 6 and 7 (short keys, a 131-byte key hashed first,
    // data longer than a block).
    @Test(arguments: [
        (Hex.encode([UInt8](repeating: 0x0b, count: 20)), Hex.encode("Hi There".utf8),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Hex.encode("Jefe".utf8), Hex.encode("what do ya want for nothing?".utf8),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (Hex.encode([UInt8](repeating: 0xaa, count: 20)), Hex.encode([UInt8](repeating: 0xdd, count: 50)),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        (Hex.encode([UInt8](repeating: 0xaa, count: 131)), Hex.encode("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        (Hex.encode([UInt8](repeating: 0xaa, count: 131)),
         Hex.encode("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ])
    func rfc4231Vectors(key: String, data: String, expected: String) throws {
        #expect(Hex.encode(try Self.tag(Hex.decode(data), key: Hex.decode(key))) == expected)
    }

    @Test func finalizeIntoRefusesAWrongSizedOutput() throws {
        let stream = try SHA256Stream()
        var short = [UInt8](repeating: 0, count: 31)
        #expect(throws: CryptoError.invalidLength(what: "SHA-256 output", expected: 32, actual: 31)) {
            try short.withUnsafeMutableBytes { try stream.finalize(into: $0) }
        }
    }
}

extension SHA256PairTests {
    static let edgeLengths = [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 1000]

    /// Every pair of edge lengths, one stream a MAC and the other a digest and the other way
    /// round, fed in one call each: the results equal OpenSSL's.
    @Test func pairedEqualsOpenSSLForEveryLengthPair() throws {
        let key = Self.bytes(32, seed: 99)
        let pads = try HMACSHA256Pads(key: key)
        let mac = try SHA256Stream(hmac: pads)
        let hash = try SHA256Stream()
        for lengthA in Self.edgeLengths {
            for lengthB in Self.edgeLengths {
                let messageA = Self.bytes(lengthA, seed: UInt64(lengthA) << 16 | UInt64(lengthB))
                let messageB = Self.bytes(lengthB, seed: UInt64(lengthB) << 32 | UInt64(lengthA) | 7)
                for macFirst in [true, false] {
                    mac.restart()
                    hash.restart()
                    let pair = macFirst ? SHA256Pair(a: mac, b: hash) : SHA256Pair(a: hash, b: mac)
                    messageA.withUnsafeBytes { a in messageB.withUnsafeBytes { b in pair.update(a: a, b: b) } }
                    let (macMessage, hashMessage) = macFirst ? (messageA, messageB) : (messageB, messageA)
                    #expect(try mac.finalize() == HMACSHA256.authenticationCode(for: macMessage, key: key), "\(lengthA), \(lengthB)")
                    #expect(try hash.finalize() == SHA256.hash(hashMessage), "\(lengthA), \(lengthB)")
                }
            }
        }
    }

    /// Messages fed in uneven pieces, so the two streams' buffered tails differ when they meet
    /// in `update(a:b:)`.
    @Test func unevenPiecesEqualOpenSSL() throws {
        let messageA = Self.bytes(10_000, seed: 1)
        let messageB = Self.bytes(7_777, seed: 2)
        let pair = SHA256Pair(a: try SHA256Stream(), b: try SHA256Stream())
        var offsetA = 0
        var offsetB = 0
        var step = 0
        while offsetA < messageA.count || offsetB < messageB.count {
            step += 1
            let endA = min(messageA.count, offsetA + (step * 37) % 300)
            let endB = min(messageB.count, offsetB + (step * 53) % 250)
            messageA.withUnsafeBytes { a in
                messageB.withUnsafeBytes { b in
                    pair.update(a: UnsafeRawBufferPointer(rebasing: a[offsetA..<endA]), b: UnsafeRawBufferPointer(rebasing: b[offsetB..<endB]))
                }
            }
            (offsetA, offsetB) = (endA, endB)
        }
        #expect(try pair.a.finalize() == SHA256.hash(messageA))
        #expect(try pair.b.finalize() == SHA256.hash(messageB))
    }

    /// 4 MiB paired with 4 MiB and with 4 MiB less a few bytes (the sealer's largest chunk and
    /// blob), and a random key longer than a block.
    @Test func fourMebibytes() throws {
        let big = Self.bytes(4 << 20, seed: 3)
        let other = Self.bytes((4 << 20) - 13, seed: 4)
        let key = Self.bytes(100, seed: 5)
        let pair = SHA256Pair(a: try SHA256Stream(hmac: HMACSHA256Pads(key: key)), b: try SHA256Stream())
        for second in [big, other] {
            pair.a.restart()
            pair.b.restart()
            big.withUnsafeBytes { a in second.withUnsafeBytes { b in pair.update(a: a, b: b) } }
            #expect(try pair.a.finalize() == HMACSHA256.authenticationCode(for: big, key: key))
            #expect(try pair.b.finalize() == SHA256.hash(second))
        }
    }

    /// A restarted MAC stream starts again under its key, whatever was fed before.
    @Test func restartForgetsTheMessage() throws {
        let key = Array("Jefe".utf8)
        let stream = try SHA256Stream(hmac: HMACSHA256Pads(key: key))
        Self.bytes(200, seed: 6).withUnsafeBytes { stream.update($0) }
        stream.restart()
        Array("what do ya want for nothing?".utf8).withUnsafeBytes { stream.update($0) }
        #expect(Hex.encode(try stream.finalize()) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        stream.restart()
        #expect(try stream.finalize() == HMACSHA256.authenticationCode(for: [UInt8](), key: key))
    }
}

extension SHA256PairTests {
    /// RFC 2104 section 2: keys up to the block size are zero-padded, longer ones hashed first;
    /// the edges on both sides, and the empty key, give OpenSSL's tags.
    @Test(arguments: [0, 1, 32, 63, 64, 65, 200])
    func keysOfEveryLengthEqualOpenSSL(keyLength: Int) throws {
        let key = Self.bytes(keyLength, seed: UInt64(keyLength) + 11)
        let message = Self.bytes(300, seed: 12)
        #expect(try Self.tag(message, key: key) == HMACSHA256.authenticationCode(for: message, key: key))
        // A key one bit off gives another tag.
        if keyLength > 0 {
            var other = key
            other[keyLength - 1] ^= 1
            #expect(try Self.tag(message, key: other) != HMACSHA256.authenticationCode(for: message, key: key))
        }
    }
}
