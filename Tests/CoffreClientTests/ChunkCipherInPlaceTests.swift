@testable import CoffreClient
import CoffreCrypto
import Testing

/// The pipeline's in-place sealing must be the format exactly: the same blobs and references
/// as `ChunkCipher.seal`, opened by `ChunkCipher.open`. (Opening has its own suites:
/// `ChunkCipherCommittedOpeningTests`, `ChunkCipherCommittedPairOpeningTests`.)
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

    @Test(arguments: [0, 1, 4, 5, 1020, 1021, 65_533, 262_144, 1 << 20, 4 << 20])
    func sealsExactlyLikeSeal(length: Int) throws {
        let plaintext = ChunkerFixtures.pseudoRandom(count: length, seed: UInt64(length))
        let reference = try cipher.seal(plaintext)
        let inPlace = try sealInPlace(plaintext)
        #expect(inPlace.blob == reference.blob)
        #expect(inPlace.reference == reference.reference)
        #expect(try cipher.open(inPlace.blob, reference: inPlace.reference) == plaintext)
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

    @Test func oneWorkspaceSealsChunkAfterChunk() throws {
        // Sizes around the interleaving slice, in an order that shrinks and grows the blob: the
        // reused contexts carry nothing from one chunk to the next.
        let slice = ChunkCipher.interleaveSliceByteCount
        for length in [3 * slice + 7, 10, slice - 21, 2 * slice, 0, slice - 20] {
            let plaintext = ChunkerFixtures.pseudoRandom(count: length, seed: UInt64(length) + 7)
            let inPlace = try sealInPlace(plaintext)
            let expected = try cipher.seal(plaintext)
            #expect(inPlace.blob == expected.blob)
            #expect(inPlace.reference == expected.reference)
            #expect(try cipher.open(inPlace.blob, reference: inPlace.reference) == plaintext)
        }
    }
}
