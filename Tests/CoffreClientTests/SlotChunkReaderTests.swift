@testable import CoffreClient
import Testing

/// The sealer's reader reads each chunk into its pipeline buffer and carries the bytes read
/// past a cut to the next buffer: the chunks must still be exactly the chunker's, whatever the
/// read sizes, and a hostile source must stop the run with every buffer back.
@Suite struct SlotChunkReaderTests {
    /// Read patterns: single bytes, odd sizes, reads as long as the reader asks for.
    static let readPatterns: [[Int]] = [[1, 2, 3], [7, 1000, 65_537], [Int.max]]

    @Test(arguments: readPatterns)
    func denseChunksMatchTheChunker(readSizes: [Int]) async throws {
        // Minimum 1001 bytes: reads of 1001 bytes, a carry after almost every cut.
        let chunker = try PipelineFixtures.chunker(parameters: ChunkerReferenceTests.denseParameters)
        let data = ChunkerFixtures.pseudoRandom(count: 300_000, seed: 41)
        let expected = try PipelineFixtures.referenceSeal(data, chunker: chunker)
        #expect(expected.count > 10)
        for workers in [1, 2] {
            let sealer = FileSealer(chunker: chunker, cipher: PipelineFixtures.cipher(), workerCount: workers)
            let sealed = try await withTimeout { try await PipelineFixtures.seal(data, with: sealer, readSizes: readSizes) }
            #expect(sealed.file.chunks == expected.map(\.reference))
            #expect(sealed.blobs == expected.map(\.blob))
            #expect(sealer.freeBufferCount == sealer.bufferCount)
        }
    }

    @Test func productionChunksMatchTheChunkerWithUnevenReads() async throws {
        let chunker = try PipelineFixtures.chunker()
        let data = ChunkerFixtures.pseudoRandom(count: 11 << 20, seed: 42)
        let expected = try PipelineFixtures.referenceSeal(data, chunker: chunker)
        let sealer = FileSealer(chunker: chunker, cipher: PipelineFixtures.cipher(), workerCount: 1)
        let sealed = try await withTimeout {
            try await PipelineFixtures.seal(data, with: sealer, readSizes: [100_003, 1, (4 << 20) + 7, 262_143])
        }
        #expect(sealed.file.chunks == expected.map(\.reference))
        #expect(sealed.blobs == expected.map(\.blob))
    }

    @Test(arguments: LyingByteSource.Lie.allCases)
    func anImpossibleReadCountStopsTheRun(lie: LyingByteSource.Lie) async throws {
        let sealer = FileSealer(chunker: try PipelineFixtures.chunker(), cipher: PipelineFixtures.cipher(), workerCount: 2)
        // Honest for more than two chunks, so the lie comes while bytes are being carried.
        let error = try await withTimeout { () -> ChunkingError? in
            do {
                _ = try await sealer.seal(LyingByteSource(honestBytes: 9 << 20, lie: lie)) { _ in }
                return nil
            } catch let error as ChunkingError {
                return error
            }
        }
        guard case .invalidReadCount(let returned, let requested) = try #require(error) else {
            Issue.record("expected invalidReadCount, got \(String(describing: error))")
            return
        }
        #expect(requested > 0 && requested <= 256 << 10)
        #expect(returned == lie.count(requested: requested))
        #expect(sealer.freeBufferCount == sealer.bufferCount)
    }
}
