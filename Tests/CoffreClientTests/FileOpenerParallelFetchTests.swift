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
    /// More pairs of chunks than the opener has buffers.
    static let largerData = ChunkerFixtures.pseudoRandom(count: 24 << 20, seed: 506)

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
        let written = try await withTimeout { try await opener.open(chunks, writingTo: fd, fetch: fetch) }
        #expect(written == UInt64(Self.data.count))
        #expect(try TemporaryDirectory.contents(of: fd) == Self.data)
        #expect(mostInFlight.load(ordering: .sequentiallyConsistent) >= 2)
        // Two fetches per buffer: the chunks of a pair are fetched at once.
        #expect(mostInFlight.load(ordering: .sequentiallyConsistent) <= 2 * opener.bufferCount)
        #expect(opener.freeBufferCount == opener.bufferCount)
    }

    /// A pair of chunks and those before it, once fetched, go to the workers at once, even
    /// while no buffer is free: here the writer is stuck on a pipe nobody reads and holds the
    /// buffer of chunks 0 and 1, chunk 4's fetch (the next pair's) never ends on its own, and
    /// chunk 2 is tampered with. The run can only fail (and cancel chunk 4's fetch) if the pair
    /// of chunks 2 and 3 reaches a worker with no buffer given back; a producer that hands on
    /// one buffer per buffer given back waits forever.
    @Test func fetchedChunksReachTheWorkersWhileNoBufferIsFree() async throws {
        let sealer = FileSealer(chunker: try PipelineFixtures.chunker(), cipher: PipelineFixtures.cipher(), workerCount: 2)
        let sealed = try await withTimeout { try await PipelineFixtures.seal(Self.largerData, with: sealer) }
        let chunks = sealed.file.chunks
        // pipe(7): a pipe holds 64 KiB by default, less than a chunk (at least 256 KiB).
        // More pairs than buffers, so the producer waits for a fifth buffer and stops (cancelling
        // the fetches in flight) when the run fails.
        try #require(chunks.count >= 9 && chunks[0].length > 64 << 10)
        var store = PipelineFixtures.store(sealed)
        store[sealed.ids[2]]![40] ^= 1
        let served = store
        let hung = sealed.ids[4]
        let (cancelled, signalCancelled) = AsyncStream.makeStream(of: Void.self)
        let (held, release) = AsyncStream.makeStream(of: Void.self)
        let fetch: PipelineFixtures.Fetch = { id, buffer in
            if id == hung {
                // Ends when the task is cancelled (AsyncStream's iteration ends then), or when
                // the test gives up waiting for that.
                for await _ in held {}
                signalCancelled.yield()
                throw CancellationError()
            }
            try buffer.append(served[id]!)
        }
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let opener = FileOpener(cipher: PipelineFixtures.cipher(), workerCount: 2)
        #expect(opener.bufferCount == 4)
        let opening = Task { try await opener.open(chunks, writingTo: writeEnd, fetch: fetch) }
        var sawCancellation: Result<Void, any Error> = .success(())
        do { try await withTimeout { for await _ in cancelled { break } } } catch { sawCancellation = .failure(error) }
        // Now let the writer and chunk 4's fetch go on, so the run ends either way.
        release.finish()
        let drain = Thread {
            var scratch = [UInt8](repeating: 0, count: 1 << 16)
            while scratch.withUnsafeMutableBytes({ read(readEnd, $0.baseAddress, $0.count) }) > 0 {}
            close(readEnd)
        }
        drain.start()
        let outcome = await opening.result
        close(writeEnd)
        try sawCancellation.get()
        #expect(throws: PipelineError.chunkRejected(index: 2, reason: .authenticationFailed(structure: "chunk blob"))) { try outcome.get() }
        #expect(opener.freeBufferCount == opener.bufferCount)
    }
}
