@testable import CoffreClient
import CoffreCrypto
import Testing

/// `openCommitted` (the gateway's reads) skips only the blob id check: it must give `open`'s
/// plaintext or `open`'s error for the same blob under a reference whose id is that blob's
/// hash, refuse every blob the manifest's key and length do not pin (substituted, truncated,
/// re-padded, other key, other vault) with a clear error, leave nothing decrypted behind a
/// refusal, and never write the blob.
@Suite struct ChunkCipherCommittedOpeningTests {
    let cipher = PipelineFixtures.cipher()
    /// One workspace for every chunk of a test, as a reader could keep one.
    let workspace: ChunkCipherWorkspace

    init() throws {
        workspace = try ChunkCipherWorkspace(for: cipher)
    }

    /// Opens `blob` into a buffer larger than any chunk, with the test's workspace and with a
    /// workspace of the call's own (the array form); both must agree, and a refusal must leave
    /// the buffer wiped and the blob as it was.
    func openCommitted(_ blob: [UInt8], reference: ChunkReference, sourceLocation: SourceLocation = #_sourceLocation) throws(CryptoFormatError) -> [UInt8] {
        let plaintext = UnsafeMutableRawBufferPointer.allocate(byteCount: ChunkCipher.maximumBlobByteCount + 1, alignment: 16)
        defer { plaintext.deallocate() }
        plaintext.initializeMemory(as: UInt8.self, repeating: 0)
        let asArray = Result { () throws(CryptoFormatError) in
            try ByteAccess.with(blob) { (raw: UnsafeRawBufferPointer) throws(CryptoFormatError) in try cipher.openCommitted(raw, reference: reference) }
        }
        let asFetched = blob
        do throws(CryptoFormatError) {
            let count = try ByteAccess.with(blob) { (raw: UnsafeRawBufferPointer) throws(CryptoFormatError) in
                try cipher.openCommitted(raw, into: plaintext, reference: reference, using: workspace)
            }
            let opened = copiedBytes(UnsafeRawBufferPointer(rebasing: plaintext[0..<count]))
            #expect(try asArray.get() == opened, sourceLocation: sourceLocation)
            return opened
        } catch {
            #expect(isAllZero(UnsafeRawBufferPointer(plaintext)), "plaintext left behind a refusal", sourceLocation: sourceLocation)
            #expect(throws: error, sourceLocation: sourceLocation) { try asArray.get() }
            #expect(blob == asFetched, sourceLocation: sourceLocation)
            throw error
        }
    }

    /// `openCommitted(blob, reference)` gives what `open` gives for `blob` under `reference`
    /// with its id replaced by the blob's own hash: every check but the id, in the same order.
    func expectOpenWithoutTheID(_ blob: [UInt8], _ reference: ChunkReference, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let relabeled = try ChunkReference(blobID: SHA256.hash(blob), key: reference.key, length: reference.length)
        let expected = Result { () throws(CryptoFormatError) in try cipher.open(blob, reference: relabeled) }
        let actual = Result { () throws(CryptoFormatError) in try openCommitted(blob, reference: reference, sourceLocation: sourceLocation) }
        switch (expected, actual) {
        case (.success(let a), .success(let b)): #expect(a == b, sourceLocation: sourceLocation)
        case (.failure(let a), .failure(let b)): #expect(a == b, sourceLocation: sourceLocation)
        default: Issue.record("open gave \(expected), openCommitted gave \(actual)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [0, 1, 4, 5, 1020, 1021, 65_532, 65_533, 65_536, 65_537, 262_144, 1 << 20, 4 << 20])
    func opensWhatSealSealed(length: Int) throws {
        let plaintext = ChunkerFixtures.pseudoRandom(count: length, seed: UInt64(length) + 3)
        let sealed = try cipher.seal(plaintext)
        #expect(try openCommitted(sealed.blob, reference: sealed.reference) == plaintext)
    }

    @Test(arguments: ["chunk-empty", "chunk-hello", "chunk-text"])
    func opensTheFormatVectors(name: String) throws {
        let vectors = try FormatVectors.load()
        let cipher = ChunkCipher(convergenceKey: SecretBytes(copying: try vectors.bytes(name, "convergence")))
        let plaintext = try vectors.bytes(name, "plaintext")
        let reference = try ChunkReference(
            blobID: vectors.bytes(name, "blob-id"), key: SecretBytes(copying: vectors.bytes(name, "chunk-key")), length: UInt32(plaintext.count))
        let blob = try vectors.bytes(name, "blob")
        #expect(try ByteAccess.with(blob) { (raw: UnsafeRawBufferPointer) throws(CryptoFormatError) in try cipher.openCommitted(raw, reference: reference) } == plaintext)
    }

    @Test func theBlobIDIsNotWhatDecides() throws {
        // The decision (docs/threat-model.md): a reference's id is not looked at; the key and
        // the length pin the blob. The authentic blob opens under any id...
        let plaintext = ChunkerFixtures.pseudoRandom(count: 70_000, seed: 11)
        let sealed = try cipher.seal(plaintext)
        let otherID = try ChunkReference(blobID: [UInt8](repeating: 0xab, count: 32), key: sealed.reference.key, length: sealed.reference.length)
        #expect(try openCommitted(sealed.blob, reference: otherID) == plaintext)
        // ...and no other blob opens under the right one.
        let other = try cipher.seal(ChunkerFixtures.pseudoRandom(count: 70_000, seed: 12))
        #expect(throws: CryptoFormatError.authenticationFailed(structure: "chunk blob")) { try openCommitted(other.blob, reference: sealed.reference) }
    }

    @Test func everyFlippedBitIsRefusedLikeOpen() throws {
        let sealed = try cipher.seal(Array("hello, committed".utf8))
        for index in sealed.blob.indices {
            for bit in 0..<8 {
                var tampered = sealed.blob
                tampered[index] ^= 1 << UInt8(bit)
                let expected: CryptoFormatError = index == 0
                    ? .unsupportedVersion(structure: "chunk blob", version: tampered[0]) : .authenticationFailed(structure: "chunk blob")
                #expect(throws: expected) { try openCommitted(tampered, reference: sealed.reference) }
                try expectOpenWithoutTheID(tampered, sealed.reference)
            }
        }
    }

    @Test func aSubstitutedBlobIsRefusedByTheTag() throws {
        let a = try cipher.seal(ChunkerFixtures.pseudoRandom(count: 3 * ChunkCipher.interleaveSliceByteCount, seed: 21))
        let b = try cipher.seal(ChunkerFixtures.pseudoRandom(count: 3 * ChunkCipher.interleaveSliceByteCount, seed: 22))
        #expect(throws: CryptoFormatError.authenticationFailed(structure: "chunk blob")) { try openCommitted(b.blob, reference: a.reference) }
        // Of another length: the tag fails first, as it is checked before the framing.
        let short = try cipher.seal(Array("short".utf8))
        #expect(throws: CryptoFormatError.authenticationFailed(structure: "chunk blob")) { try openCommitted(short.blob, reference: a.reference) }
        try expectOpenWithoutTheID(b.blob, a.reference)
        try expectOpenWithoutTheID(short.blob, a.reference)
    }

    @Test func truncatedAndExtendedBlobsAreRefused() throws {
        let sealed = try cipher.seal(ChunkerFixtures.pseudoRandom(count: 100_000, seed: 23))
        for cut in [1, 16, 17, sealed.blob.count - 21] {
            let truncated = Array(sealed.blob.dropLast(cut))
            #expect(throws: CryptoFormatError.authenticationFailed(structure: "chunk blob")) { try openCommitted(truncated, reference: sealed.reference) }
            try expectOpenWithoutTheID(truncated, sealed.reference)
        }
        for tooShort in [Array(sealed.blob.prefix(20)), []] {
            #expect(throws: CryptoFormatError.malformed(structure: "chunk blob", reason: "size \(tooShort.count) outside 21...4325393")) {
                try openCommitted(tooShort, reference: sealed.reference)
            }
        }
        let extended = sealed.blob + [0]
        #expect(throws: CryptoFormatError.authenticationFailed(structure: "chunk blob")) { try openCommitted(extended, reference: sealed.reference) }
        let huge = [UInt8](repeating: 1, count: ChunkCipher.maximumBlobByteCount + 1)
        #expect(throws: CryptoFormatError.malformed(structure: "chunk blob", reason: "size 4325394 outside 21...4325393")) {
            try openCommitted(huge, reference: sealed.reference)
        }
    }

    @Test func aBlobUnderAnotherKeyOrAnotherVaultIsRefused() throws {
        let plaintext = ChunkerFixtures.pseudoRandom(count: 200_000, seed: 24)
        let sealed = try cipher.seal(plaintext)
        // The same plaintext in another vault: another convergence key, so another chunk key.
        let otherVault = ChunkCipher(convergenceKey: SecretBytes(copying: [UInt8](repeating: 0x42, count: 32)))
        let elsewhere = try otherVault.seal(plaintext)
        #expect(throws: CryptoFormatError.authenticationFailed(structure: "chunk blob")) { try openCommitted(elsewhere.blob, reference: sealed.reference) }
        // This vault's blob under the other vault's reference: the tag fails too.
        #expect(throws: CryptoFormatError.authenticationFailed(structure: "chunk blob")) { try openCommitted(sealed.blob, reference: elsewhere.reference) }
        // A blob sealed under a key of the attacker's, the plaintext it claims: the tag.
        let key = try SecureRandom.bytes(count: 32)
        let framed = [0, 0, 0, 5] + Array("hello".utf8) + [0]
        let crafted = try ChunkCipherTests.craftedBlob(framed: framed, key: key)
        let hello = try cipher.seal(Array("hello".utf8))
        #expect(throws: CryptoFormatError.authenticationFailed(structure: "chunk blob")) { try openCommitted(crafted, reference: hello.reference) }
    }

    @Test func authenticBlobsBreakingTheOtherRulesAreRefused() throws {
        // What a member holding a chunk key can make (valid tag), each with its own error.
        let key = try SecureRandom.bytes(count: 32)
        let hello = Array("hello".utf8)
        let framing = CryptoFormatError.invalidFraming("length header does not match the padded size")
        for (framed, length, error) in [
            ([0, 0, 0, 9] + hello + [0], 5, framing),
            ([0xff, 0xff, 0xff, 0xff] + hello + [0], 5, framing),
            ([0, 0, 0, 1] + [UInt8](repeating: 0, count: 60), 1, framing),
            ([0, 0, 0, 5] + hello + [1], 5, .nonzeroPadding(structure: "chunk")),
            ([0, 0, 0, 5] + hello + [0], 4, .chunkLengthMismatch(expected: 4, actual: 5)),
            // Framed right, but the key is not HMAC(convergence, plaintext): GCM is not key-committing.
            ([0, 0, 0, 5] + hello + [0], 5, .keyCommitmentMismatch),
        ] as [([UInt8], UInt32, CryptoFormatError)] {
            let blob = try ChunkCipherTests.craftedBlob(framed: framed, key: key)
            let reference = try ChunkCipherTests.reference(for: blob, key: key, length: length)
            #expect(throws: error) { try openCommitted(blob, reference: reference) }
            try expectOpenWithoutTheID(blob, reference)
        }
    }

    @Test func aRepaddedBlobIsRefused() throws {
        // The right plaintext and key, padded to another Padmé size or with a byte set in the
        // padding: only a key holder can make these, and each is refused.
        let plaintext = ChunkerFixtures.pseudoRandom(count: 1000, seed: 25)
        let sealed = try cipher.seal(plaintext)
        let key = Array(sealed.reference.key)
        let header: [UInt8] = [0, 0, 0x03, 0xe8]
        let padded = Padme.paddedLength(4 + plaintext.count) - 4 - plaintext.count
        var nonzero = [UInt8](repeating: 0, count: padded)
        nonzero[padded - 1] = 1
        for (framed, error) in [
            (header + plaintext + [UInt8](repeating: 0, count: padded + 64), CryptoFormatError.invalidFraming("length header does not match the padded size")),
            (header + plaintext + nonzero, .nonzeroPadding(structure: "chunk")),
        ] {
            let blob = try ChunkCipherTests.craftedBlob(framed: framed, key: key)
            #expect(throws: error) { try openCommitted(blob, reference: sealed.reference) }
        }
        // Framed exactly as sealing frames it, it is the sealed blob, byte for byte.
        let same = try ChunkCipherTests.craftedBlob(framed: header + plaintext + [UInt8](repeating: 0, count: padded), key: key)
        #expect(same == sealed.blob)
        #expect(try openCommitted(same, reference: sealed.reference) == plaintext)
    }

    @Test func oneWorkspaceOpensChunkAfterChunkAcrossRefusals() throws {
        // Sizes around the slice, refusals in between: the reused MAC and cipher carry nothing over.
        let slice = ChunkCipher.interleaveSliceByteCount
        for length in [3 * slice + 7, 10, slice - 21, 2 * slice, 0, slice] {
            let plaintext = ChunkerFixtures.pseudoRandom(count: length, seed: UInt64(length) + 31)
            let sealed = try cipher.seal(plaintext)
            var tampered = sealed.blob
            tampered[tampered.count / 2] ^= 0x40
            #expect(throws: CryptoFormatError.authenticationFailed(structure: "chunk blob")) { try openCommitted(tampered, reference: sealed.reference) }
            #expect(try openCommitted(sealed.blob, reference: sealed.reference) == plaintext)
        }
    }
}
