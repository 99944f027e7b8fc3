@testable import CoffreClient
import CoffreCrypto
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `FileOpener` fetches several blobs at once and still writes them in manifest order.
@Suite struct FileOpenerParallelFetchTests {
    static let data = ChunkerFixtures.pseudoRandom(count: 8 << 20, seed: 505)

    @Test func fetchesOverlapAndFinishOutOfOrderYetTheFileIsInOrder() async throws {
        let sealer = FileSealer(chunker: try PipelineFixtures.chunker(), cipher: PipelineFixtures.cipher(), workerCount: 2)
        let sealed = try await withTimeout { try await PipelineFixtures.seal(Self.data, with: sealer) }
        #expect(sealed.file.chunks.count >= 4)
        let store = PipelineFixtures.store(sealed)
        let first = sealed.ids[0], second = sealed.ids[1]
        let (secondStarted, signal) = AsyncStream.makeStream(of: Void.self)
        let inFlight = Atomic(0), mostInFlight = Atomic(0)
        // Chunk 0's fetch ends only once chunk 1's has begun: a one-at-a-time opener would
        // wait here until the timeout fails the test.
        let fetch: PipelineFixtures.Fetch = { id, buffer in
            let now = inFlight.add(1, ordering: .sequentiallyConsistent).newValue
            mostInFlight.max(now, ordering: .sequentiallyConsistent)
            defer { inFlight.subtract(1, ordering: .sequentiallyConsistent) }
            if id == second { signal.yield() }
            if id == first { for await _ in secondStarted { break } }
            try await Task.sleep(for: .microseconds(Int.random(in: 0...3_000)))
            try buffer.append(store[id]!)
        }
        let directory = try TemporaryDirectory()
        let fd = try directory.openFile("parallel")
        defer { close(fd) }
        let opener = FileOpener(cipher: PipelineFixtures.cipher(), workerCount: 2)
        let chunks = sealed.file.chunks
        let written = try await withTimeout(seconds: 60) { try await opener.open(chunks, writingTo: fd, fetch: fetch) }
        #expect(written == UInt64(Self.data.count))
        #expect(try TemporaryDirectory.contents(of: fd) == Self.data)
        #expect(mostInFlight.load(ordering: .sequentiallyConsistent) >= 2)
        #expect(mostInFlight.load(ordering: .sequentiallyConsistent) <= opener.bufferCount)
        #expect(opener.freeBufferCount == opener.bufferCount)
    }
}
