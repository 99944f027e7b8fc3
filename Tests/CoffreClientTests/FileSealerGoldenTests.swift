@testable import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Testing

/// Sealing a multi-chunk file with fixed keys gives, byte for byte, what it gave before the
/// upload path's speed work: the same cut points, chunk keys and blob ids (so the same blobs,
/// each id being the SHA-256 of its blob), whatever the worker count, the hashing (paired or
/// not) and the sizes the source reads in. The figures below were recorded with the sealing
/// code of `main` at 31bc2eb and again when the chunker's maximum went from 4 to 2 MiB (only the
/// first chunk, 2,097,786 bytes before, is cut at the maximum; its 634 bytes start the second);
/// a change that moves a cut, a key or a byte of a blob fails here.
@Suite struct FileSealerGoldenTests {
    /// 10 MiB of the documented chunker test stream (docs/format-chunker.md).
    static let inputByteCount = 10 << 20

    /// Chunk lengths of the input under the production parameters and `ChunkerFixtures.key`;
    /// the first four are those of docs/format-chunker.md's 6,000,000-byte vector.
    static let expectedLengths: [UInt32] = [2_097_152, 304_524, 1_111_441, 1_086_300, 1_472_301, 1_065_537, 1_312_629, 1_025_203, 1_010_673]
    /// SHA-256 of every chunk's encoded reference (blob id ‖ chunk key ‖ u32be length), in order.
    static let expectedDigest = "2c4e1dc4dd2793cda3639e27da3107641d92e0779be754542e0264a763ed6c59"

    static func digest(_ chunks: [ChunkReference]) throws -> String {
        var encoded: [UInt8] = []
        for chunk in chunks {
            encoded += chunk.blobID
            chunk.key.withUnsafeBytes { encoded += $0 }
            encoded += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: chunk.length >> $0) }
        }
        // A SHA-256 digest has a blob id's shape; its text form is lowercase hex.
        return try #require(BlobID(bytes: try SHA256.hash(encoded))).hex
    }

    static func hashings() -> [Bool] { SHA256Pair.isAvailable ? [false, true] : [false] }

    @Test(arguments: [1, 2])
    func sealingGivesTheRecordedBlobs(workers: Int) async throws {
        let input = try ChunkerFixtures.vectorStream(count: Self.inputByteCount)
        for pairsHashes in Self.hashings() {
            let sealer = FileSealer(
                chunker: try PipelineFixtures.chunker(), cipher: PipelineFixtures.cipher(), workerCount: workers,
                pairsHashes: pairsHashes)
            // Uneven reads: the reader's carry-over between chunks is crossed at odd offsets.
            let sealed = try await withTimeout {
                try await PipelineFixtures.seal(input, with: sealer, readSizes: [1 << 20, 65_537, 333])
            }
            #expect(sealed.file.chunks.map(\.length) == Self.expectedLengths, "pairsHashes \(pairsHashes)")
            let digest = try Self.digest(sealed.file.chunks)
            #expect(digest == Self.expectedDigest, "pairsHashes \(pairsHashes)")
            #expect(sealed.file.byteCount == UInt64(input.count))
            for (blob, id) in zip(sealed.blobs, sealed.ids) {
                #expect(try SHA256.hash(blob) == id)
            }
            #expect(sealer.freeBufferCount == sealer.bufferCount)
        }
    }
}
