@testable import CoffreClient
import CoffreCrypto
import Foundation
import Testing

/// `FileSealer` with paired hashing (each worker keeps its last blob back and hashes its id
/// together with the next chunk's key) gives exactly what sealing each chunk on its own gives:
/// every blob, blob id and chunk key, for files whose sizes fall around chunk edges, with one
/// and two workers, with and without known chunks.
@Suite(.enabled(if: SHA256Pair.isAvailable, "needs a CPU with the SHA extensions"))
struct FileSealerPairingTests {
    static let parameters = ChunkerReferenceTests.denseParameters

    /// Empty, one byte, around the minimum and maximum chunk sizes (1,001 and 70,001 bytes)
    /// and their doubles, and files of many chunks.
    static let sizes = [0, 1, 1000, 1001, 1002, 70_000, 70_001, 70_002, 140_002, 140_003, 210_003, 400_000, 1_500_000]

    static func sealAll(_ files: [[UInt8]], workers: Int, pairsHashes: Bool, known: KnownChunks? = nil) async throws
        -> [PipelineFixtures.Sealed]
    {
        let sealer = FileSealer(
            chunker: try PipelineFixtures.chunker(parameters: parameters), cipher: PipelineFixtures.cipher(),
            workerCount: workers, pairsHashes: pairsHashes)
        var results: [PipelineFixtures.Sealed] = []
        for file in files {
            results.append(
                try await withTimeout {
                    var blobs: [[UInt8]] = [], indices: [Int] = []
                    let sealed = try await sealer.seal(ScriptedByteSource(data: file, readSizes: [65_537, 4096]), reusing: known) { blob in
                        blobs.append(blob.copyBytes())
                        indices.append(blob.index)
                    }
                    return PipelineFixtures.Sealed(file: sealed, blobs: blobs, indices: indices, offsets: [])
                })
        }
        #expect(sealer.freeBufferCount == sealer.bufferCount)
        return results
    }

    @Test(arguments: [1, 2])
    func pairedEqualsUnpairedAroundChunkEdges(workers: Int) async throws {
        let files = Self.sizes.enumerated().map { ChunkerFixtures.pseudoRandom(count: $1, seed: UInt64(900 + $0)) }
        let paired = try await Self.sealAll(files, workers: workers, pairsHashes: true)
        let unpaired = try await Self.sealAll(files, workers: workers, pairsHashes: false)
        let chunker = try PipelineFixtures.chunker(parameters: Self.parameters)
        for (number, file) in files.enumerated() {
            let expected = try PipelineFixtures.referenceSeal(file, chunker: chunker)
            // ChunkReference's == compares blob id, chunk key and length.
            #expect(paired[number].file.chunks == unpaired[number].file.chunks, "size \(file.count)")
            #expect(paired[number].file.chunks == expected.map(\.reference), "size \(file.count)")
            #expect(paired[number].blobs == unpaired[number].blobs, "size \(file.count)")
            #expect(paired[number].indices == Array(0..<expected.count), "size \(file.count)")
            #expect(paired[number].file.byteCount == UInt64(file.count))
        }
        #expect(paired.map(\.file.chunks.count).reduce(0, +) > 40)
    }

    /// Known chunks between sealed ones: a known chunk is never kept back, and the blob kept
    /// before it still gets its own id.
    @Test(arguments: [1, 2])
    func knownChunksBetweenPairedOnes(workers: Int) async throws {
        let file = ChunkerFixtures.pseudoRandom(count: 600_000, seed: 77)
        let all = try await Self.sealAll([file], workers: workers, pairsHashes: false)[0].file.chunks
        let everyThird = KnownChunks(all.enumerated().filter { $0.offset % 3 == 0 }.map(\.element))
        let paired = try await Self.sealAll([file], workers: workers, pairsHashes: true, known: everyThird)[0]
        let unpaired = try await Self.sealAll([file], workers: workers, pairsHashes: false, known: everyThird)[0]
        #expect(paired.file.chunks == all)
        #expect(paired.blobs == unpaired.blobs)
        #expect(paired.blobs.enumerated().allSatisfy { $0.offset % 3 == 0 ? $0.element.isEmpty : !$0.element.isEmpty })
    }
}
