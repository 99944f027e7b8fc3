@testable import CoffreClient
import CoffreCrypto
import Testing

/// The pipeline's in-place sealing and opening must be the format exactly: the same blobs and
/// references as `ChunkCipher.seal`, the same refusals as `ChunkCipher.open`.
@Suite struct ChunkCipherInPlaceTests {
    let cipher = PipelineFixtures.cipher()
    /// One workspace for every chunk of a test, as a pipeline worker keeps one.
    let workspace: ChunkCipherWorkspace

    init() throws {
        workspace = try cipher.makeWorkspace()
    }

    /// Seals `plaintext` the pipeline's way: copied behind the header, sealed in place.
    func sealInPlace(_ plaintext: [UInt8]) throws -> (blob: [UInt8], reference: ChunkReference) {
        let slot = ChunkSlot(capacity: ChunkCipher.maximumBlobByteCount)
        let start = ChunkCipher.plaintextOffset
        plaintext.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: slot.buffer[start..<(start + $0.count)]).copyMemory(from: $0) }
        let reference = try cipher.sealInPlace(slot.buffer, plaintextLength: plaintext.count, using: workspace)
        let count = ChunkCipher.blobByteCount(plaintextLength: plaintext.count)
        return (copiedBytes(UnsafeRawBufferPointer(rebasing: slot.buffer[0..<count])), reference)
    }

    /// Opens `blob` the pipeline's way, in a buffer of exactly its size.
    func openInPlace(_ blob: [UInt8], reference: ChunkReference) throws(CryptoFormatError) -> [UInt8] {
        var buffer = blob
        return try ByteAccess.withMutable(&buffer) { (raw: UnsafeMutableRawBufferPointer) throws(CryptoFormatError) -> [UInt8] in
            let range = try cipher.openInPlace(raw, reference: reference, using: workspace)
            return copiedBytes(UnsafeRawBufferPointer(rebasing: raw[range]))
        }
    }

    /// Opens `blob` the paired way into a buffer larger than any chunk, as `FileOpener` does,
    /// and checks that a refusal leaves that buffer wiped.
    func openPaired(_ blob: [UInt8], reference: ChunkReference) throws(CryptoFormatError) -> [UInt8] {
        let plaintext = UnsafeMutableRawBufferPointer.allocate(byteCount: ChunkCipher.maximumBlobByteCount, alignment: 16)
        defer { plaintext.deallocate() }
        plaintext.initializeMemory(as: UInt8.self, repeating: 0)
        do throws(CryptoFormatError) {
            let count = try ByteAccess.with(blob) { (raw: UnsafeRawBufferPointer) throws(CryptoFormatError) in
                try cipher.openPaired(raw, into: plaintext, reference: reference, using: workspace)
            }
            return copiedBytes(UnsafeRawBufferPointer(rebasing: plaintext[0..<count]))
        } catch {
            #expect(isAllZero(UnsafeRawBufferPointer(plaintext)))
            throw error
        }
    }

    /// `openInPlace` and, where the CPU pairs hashes, `openPaired` give what `open` gives: the
    /// same plaintext or the same error.
    func expectSameOutcome(_ blob: [UInt8], _ reference: ChunkReference, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = Result { () throws(CryptoFormatError) in try cipher.open(blob, reference: reference) }
        var outcomes = [("openInPlace", Result { () throws(CryptoFormatError) in try openInPlace(blob, reference: reference) })]
        if workspace.pairsHashes {
            outcomes.append(("openPaired into a large buffer", Result { () throws(CryptoFormatError) in try openPaired(blob, reference: reference) }))
        }
        for (name, actual) in outcomes {
            switch (expected, actual) {
            case (.success(let a), .success(let b)): #expect(a == b, sourceLocation: sourceLocation)
            case (.failure(let a), .failure(let b)): #expect(a == b, "\(name)", sourceLocation: sourceLocation)
            default: Issue.record("open gave \(expected), \(name) gave \(actual)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test(arguments: [0, 1, 4, 5, 1020, 1021, 65_533, 262_144, 1 << 20, 4 << 20])
    func sealsExactlyLikeSeal(length: Int) throws {
        let plaintext = ChunkerFixtures.pseudoRandom(count: length, seed: UInt64(length))
        let reference = try cipher.seal(plaintext)
        let inPlace = try sealInPlace(plaintext)
        #expect(inPlace.blob == reference.blob)
        #expect(inPlace.reference == reference.reference)
        #expect(try openInPlace(inPlace.blob, reference: inPlace.reference) == plaintext)
    }

    @Test(arguments: ["chunk-empty", "chunk-hello", "chunk-text"])
    func matchesTheFormatVectors(name: String) throws {
        let vectors = try FormatVectors.load()
        let cipher = ChunkCipher(convergenceKey: SecretBytes(copying: try vectors.bytes(name, "convergence")))
        let slot = ChunkSlot(capacity: ChunkCipher.maximumBlobByteCount)
        let plaintext = try vectors.bytes(name, "plaintext")
        plaintext.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: slot.buffer[5..<(5 + $0.count)]).copyMemory(from: $0) }
        let reference = try cipher.sealInPlace(slot.buffer, plaintextLength: plaintext.count, using: try cipher.makeWorkspace())
        let blob = copiedBytes(UnsafeRawBufferPointer(rebasing: slot.buffer[0..<ChunkCipher.blobByteCount(plaintextLength: plaintext.count)]))
        #expect(Hex.encode(blob) == (try vectors.text(name, "blob")))
        #expect(Hex.encode(reference.blobID) == (try vectors.text(name, "blob-id")))
        #expect(Hex.encode(reference.key) == (try vectors.text(name, "chunk-key")))
    }

    @Test func refusesPlaintextAboveFourMiB() {
        let slot = ChunkSlot(capacity: ChunkCipher.maximumBlobByteCount + 1)
        #expect(throws: CryptoFormatError.malformed(structure: "chunk", reason: "plaintext above 4194304 bytes")) {
            try cipher.sealInPlace(slot.buffer, plaintextLength: (4 << 20) + 1, using: workspace)
        }
    }

    @Test func everyFlippedBitIsRefusedLikeOpen() throws {
        let sealed = try cipher.seal(Array("hello, in place".utf8))
        for index in sealed.blob.indices {
            for bit in 0..<8 {
                var tampered = sealed.blob
                tampered[index] ^= 1 << UInt8(bit)
                expectSameOutcome(tampered, sealed.reference)
                // A server that also rewrote the id: caught by the version byte or the tag.
                let relabeled = try ChunkReference(blobID: SHA256.hash(tampered), key: sealed.reference.key, length: sealed.reference.length)
                expectSameOutcome(tampered, relabeled)
            }
        }
    }

    @Test func hostileBlobsAreRefusedLikeOpen() throws {
        let a = try cipher.seal(Array("first chunk".utf8)), b = try cipher.seal(Array("second chunk".utf8))
        let swapped = try ChunkReference(blobID: b.reference.blobID, key: a.reference.key, length: a.reference.length)
        var cases: [([UInt8], ChunkReference)] = [
            (b.blob, a.reference), (b.blob, swapped), (a.blob + [0], a.reference),
            ([UInt8](repeating: 1, count: 20), a.reference), ([UInt8](repeating: 0, count: ChunkCipher.maximumBlobByteCount + 1), a.reference),
        ]
        for cut in [1, 16, a.blob.count - 21] {
            let truncated = Array(a.blob.dropLast(cut))
            cases.append((truncated, a.reference))
            cases.append((truncated, try ChunkCipherTests.reference(for: truncated, key: Array(a.reference.key), length: a.reference.length)))
        }
        // Authentic blobs (valid tag) that break the other rules, as a malicious member could make.
        let key = try SecureRandom.bytes(count: 32)
        let hello = Array("hello".utf8)
        for (framed, length) in [
            ([0, 0, 0, 5] + hello + [0], 5), ([0, 0, 0, 9] + hello + [0], 5), ([0, 0, 0, 1] + [UInt8](repeating: 0, count: 60), 1),
            ([0xff, 0xff, 0xff, 0xff] + hello + [0], 5), ([0, 0, 0, 5] + hello + [1], 5), ([0, 0, 0, 5] + hello + [0], 4),
        ] as [([UInt8], UInt32)] {
            let blob = try ChunkCipherTests.craftedBlob(framed: framed, key: key)
            cases.append((blob, try ChunkCipherTests.reference(for: blob, key: key, length: length)))
        }
        for (blob, reference) in cases { expectSameOutcome(blob, reference) }
    }

    @Test func aFailedTagLeavesNoPlaintextBehind() throws {
        let plaintext = [UInt8](repeating: 0x5a, count: 1000)
        let sealed = try cipher.seal(plaintext)
        var tampered = sealed.blob
        tampered[tampered.count - 1] ^= 1
        let relabeled = try ChunkReference(blobID: SHA256.hash(tampered), key: sealed.reference.key, length: sealed.reference.length)
        tampered.withUnsafeMutableBytes { raw in
            #expect(throws: CryptoFormatError.authenticationFailed(structure: "chunk blob")) { try cipher.openInPlace(raw, reference: relabeled, using: workspace) }
            // The framed part, decrypted before the tag check, is wiped.
            #expect(isAllZero(UnsafeRawBufferPointer(rebasing: raw[1..<(raw.count - 16)])))
        }
    }

    @Test func oneWorkspaceSealsAndOpensChunkAfterChunk() throws {
        // Sizes around the interleaving slice, in an order that shrinks and grows the blob, with
        // refused opens in between: the reused contexts carry nothing from one chunk to the next.
        let slice = ChunkCipher.interleaveSliceByteCount
        let sealed = try [3 * slice + 7, 10, slice - 21, 2 * slice, 0, slice - 20].map { length in
            let plaintext = ChunkerFixtures.pseudoRandom(count: length, seed: UInt64(length) + 7)
            let inPlace = try sealInPlace(plaintext)
            let expected = try cipher.seal(plaintext)
            #expect(inPlace.blob == expected.blob)
            #expect(inPlace.reference == expected.reference)
            return (plaintext, inPlace)
        }
        for (plaintext, inPlace) in sealed {
            var tampered = inPlace.blob
            tampered[tampered.count / 2] ^= 0x40
            #expect(throws: CryptoFormatError.blobIDMismatch) { try openInPlace(tampered, reference: inPlace.reference) }
            #expect(try openInPlace(inPlace.blob, reference: inPlace.reference) == plaintext)
        }
    }

    @Test func aTamperedLaterSliceIsRefusedAndNothingDecryptedSurvives() throws {
        // The flipped byte lies in the third slice of what sealing interleaves.
        let plaintext = ChunkerFixtures.pseudoRandom(count: 3 * ChunkCipher.interleaveSliceByteCount, seed: 99)
        let sealed = try cipher.seal(plaintext)
        var tampered = sealed.blob
        tampered[2 * ChunkCipher.interleaveSliceByteCount + 100] ^= 1
        // A wrong id is refused before anything is decrypted: the buffer is as fetched.
        var buffer = tampered
        buffer.withUnsafeMutableBytes { raw in
            #expect(throws: CryptoFormatError.blobIDMismatch) { try cipher.openInPlace(raw, reference: sealed.reference, using: workspace) }
        }
        #expect(buffer == tampered)
        // A relabeled id passes, the tag does not: what was decrypted is wiped.
        let relabeled = try ChunkReference(blobID: SHA256.hash(tampered), key: sealed.reference.key, length: sealed.reference.length)
        buffer.withUnsafeMutableBytes { raw in
            #expect(throws: CryptoFormatError.authenticationFailed(structure: "chunk blob")) {
                try cipher.openInPlace(raw, reference: relabeled, using: workspace)
            }
            #expect(isAllZero(UnsafeRawBufferPointer(rebasing: raw[1..<(raw.count - 16)])))
        }
    }

    @Test func aWrongVersionIsRefusedBeforeDecrypting() throws {
        let sealed = try cipher.seal(ChunkerFixtures.pseudoRandom(count: 5000, seed: 5))
        var versioned = sealed.blob
        versioned[0] = 2
        let relabeled = try ChunkReference(blobID: SHA256.hash(versioned), key: sealed.reference.key, length: sealed.reference.length)
        var buffer = versioned
        buffer.withUnsafeMutableBytes { raw in
            #expect(throws: CryptoFormatError.unsupportedVersion(structure: "chunk blob", version: 2)) {
                try cipher.openInPlace(raw, reference: relabeled, using: workspace)
            }
        }
        #expect(buffer == versioned)
    }

    @Test func pairedOpeningOfATamperedBlobLeavesItAsFetchedAndNoPlaintext() throws {
        try #require(workspace.pairsHashes, "needs the SHA extensions")
        let plaintext = ChunkerFixtures.pseudoRandom(count: 3 * ChunkCipher.interleaveSliceByteCount, seed: 98)
        let sealed = try cipher.seal(plaintext)
        var tampered = sealed.blob
        tampered[2 * ChunkCipher.interleaveSliceByteCount + 100] ^= 1
        let relabeled = try ChunkReference(blobID: SHA256.hash(tampered), key: sealed.reference.key, length: sealed.reference.length)
        for (reference, error) in [
            (sealed.reference, CryptoFormatError.blobIDMismatch), (relabeled, .authenticationFailed(structure: "chunk blob")),
        ] {
            let output = UnsafeMutableRawBufferPointer.allocate(byteCount: plaintext.count, alignment: 16)
            defer { output.deallocate() }
            output.initializeMemory(as: UInt8.self, repeating: 0xee)
            try tampered.withUnsafeBytes { raw in
                #expect(throws: error) { try cipher.openPaired(raw, into: output, reference: reference, using: workspace) }
            }
            // The whole chunk was decrypted into the buffer before the tag was checked: all wiped.
            #expect(isAllZero(UnsafeRawBufferPointer(output)))
        }
        // The blob itself is only read.
        var expected = sealed.blob
        expected[2 * ChunkCipher.interleaveSliceByteCount + 100] ^= 1
        #expect(tampered == expected)
        #expect(try openPaired(sealed.blob, reference: sealed.reference) == plaintext)
    }
}
