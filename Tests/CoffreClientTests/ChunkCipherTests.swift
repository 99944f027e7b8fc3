@testable import CoffreClient
import CoffreCrypto
import Testing

@Suite struct ChunkCipherTests {
    let cipher: ChunkCipher

    init() throws {
        cipher = ChunkCipher(convergenceKey: try SecretBytes(randomCount: 32))
    }

    /// A blob built by hand from `framed` under `key`, as a writer holding a vault key could.
    static func craftedBlob(framed: [UInt8], key: [UInt8]) throws -> [UInt8] {
        [1] + (try AES256GCM.seal(framed, key: key, nonce: [UInt8](repeating: 0, count: 12), aad: Array("coffre/v1/chunk".utf8)))
    }

    static func reference(for blob: [UInt8], key: [UInt8], length: UInt32) throws -> ChunkReference {
        try ChunkReference(blobID: SHA256.hash(blob), key: SecretBytes(copying: key), length: length)
    }

    // Sizes around Padmé boundaries (4 + len = 8, 9, 1024, 1025...) and the 4 MiB maximum.
    @Test(arguments: [0, 1, 4, 5, 100, 1020, 1021, 65_532, 65_533, 1 << 20, 4 << 20])
    func roundTrip(length: Int) throws {
        // A while loop, not `map` over a range (generic calls per byte in debug builds).
        var plaintext = [UInt8](repeating: 0, count: length)
        var index = 0
        while index < length {
            plaintext[index] = UInt8(truncatingIfNeeded: index &* 7 &+ 3)
            index += 1
        }
        let sealed = try cipher.seal(plaintext)
        #expect(sealed.blob.count == 1 + Padme.paddedLength(4 + length) + 16)
        #expect(sealed.reference.length == UInt32(length))
        #expect(sealed.reference.blobID == (try SHA256.hash(sealed.blob)))
        #expect(try cipher.open(sealed.blob, reference: sealed.reference) == plaintext)
    }

    @Test func convergentWithinAVaultOnly() throws {
        let a = try cipher.seal(Array("same".utf8)), b = try cipher.seal(Array("same".utf8))
        #expect(a.blob == b.blob && a.reference == b.reference)
        let otherVault = ChunkCipher(convergenceKey: try SecretBytes(randomCount: 32))
        let c = try otherVault.seal(Array("same".utf8))
        #expect(c.blob != a.blob && c.reference.key != a.reference.key)
        // A chunk from this vault, opened with another vault's convergence key, fails the key commitment.
        #expect(throws: CryptoFormatError.keyCommitmentMismatch) { try otherVault.open(a.blob, reference: a.reference) }
    }

    @Test func refusesPlaintextAboveFourMiB() {
        #expect(throws: CryptoFormatError.self) { try cipher.seal([UInt8](repeating: 0, count: (4 << 20) + 1)) }
    }

    // Every bit position of a small blob: against the manifest's id the blob is rejected by its
    // hash; even a server that also rewrote the id (consistent lie) is caught by version or tag.
    @Test func everyFlippedBitIsDetected() throws {
        let sealed = try cipher.seal(Array("hello, world".utf8))
        for index in sealed.blob.indices {
            for bit in 0..<8 {
                var tampered = sealed.blob
                tampered[index] ^= 1 << UInt8(bit)
                #expect(throws: CryptoFormatError.blobIDMismatch) { try cipher.open(tampered, reference: sealed.reference) }
                let relabeled = try ChunkReference(blobID: SHA256.hash(tampered), key: sealed.reference.key, length: sealed.reference.length)
                let expected: CryptoFormatError = index == 0
                    ? .unsupportedVersion(structure: "chunk blob", version: tampered[0])
                    : .authenticationFailed(structure: "chunk blob")
                #expect(throws: expected) { try cipher.open(tampered, reference: relabeled) }
            }
        }
    }

    @Test func swappedTruncatedAndExtendedBlobsFail() throws {
        let a = try cipher.seal(Array("first chunk".utf8)), b = try cipher.seal(Array("second chunk".utf8))
        #expect(throws: CryptoFormatError.blobIDMismatch) { try cipher.open(b.blob, reference: a.reference) }
        // Swapped and relabeled: right id, wrong key.
        let swapped = try ChunkReference(blobID: b.reference.blobID, key: a.reference.key, length: a.reference.length)
        #expect(throws: CryptoFormatError.authenticationFailed(structure: "chunk blob")) { try cipher.open(b.blob, reference: swapped) }
        for cut in [1, 16, a.blob.count - 21, a.blob.count] {
            let truncated = Array(a.blob.dropLast(cut))
            #expect(throws: CryptoFormatError.self) { try cipher.open(truncated, reference: a.reference) }
            #expect(throws: CryptoFormatError.self) {
                try cipher.open(truncated, reference: Self.reference(for: truncated, key: Array(a.reference.key), length: a.reference.length))
            }
        }
        let extended = a.blob + [0]
        #expect(throws: CryptoFormatError.authenticationFailed(structure: "chunk blob")) {
            try cipher.open(extended, reference: Self.reference(for: extended, key: Array(a.reference.key), length: a.reference.length))
        }
        #expect(throws: CryptoFormatError.malformed(structure: "chunk blob", reason: "size 20 outside 21...4325393")) {
            try cipher.open([UInt8](repeating: 1, count: 20), reference: a.reference)
        }
    }

    // Authentic blobs (valid tag) that break the other rules, as a malicious member could make.
    @Test func authenticButMalformedBlobsAreRefused() throws {
        let key = try SecureRandom.bytes(count: 32)
        let hello = Array("hello".utf8)
        func open(_ framed: [UInt8], length: UInt32 = 5) throws -> [UInt8] {
            let blob = try Self.craftedBlob(framed: framed, key: key)
            return try cipher.open(blob, reference: Self.reference(for: blob, key: key, length: length))
        }
        // Right framing but a key that is not HMAC(convergence, plaintext): no key commitment.
        #expect(throws: CryptoFormatError.keyCommitmentMismatch) { try open([0, 0, 0, 5] + hello + [0]) }
        // Length header larger than the body, and smaller than Padmé allows.
        #expect(throws: CryptoFormatError.invalidFraming("length header does not match the padded size")) { try open([0, 0, 0, 9] + hello + [0]) }
        #expect(throws: CryptoFormatError.invalidFraming("length header does not match the padded size")) {
            try open([0, 0, 0, 1] + [UInt8](repeating: 0, count: 60), length: 1)
        }
        #expect(throws: CryptoFormatError.invalidFraming("length header does not match the padded size")) {
            try open([0xff, 0xff, 0xff, 0xff] + hello + [0])
        }
        #expect(throws: CryptoFormatError.nonzeroPadding(structure: "chunk")) { try open([0, 0, 0, 5] + hello + [1]) }
        #expect(throws: CryptoFormatError.chunkLengthMismatch(expected: 4, actual: 5)) { try open([0, 0, 0, 5] + hello + [0], length: 4) }
    }
}
