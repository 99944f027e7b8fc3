@testable import CoffreClient
import CoffreCrypto
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct FileSealerTests {
    static let quarter = 256 * 1024

    // Empty, one byte, around the 256 KiB one-chunk limit, and several chunks.
    @Test(arguments: [0, 1, quarter - 1, quarter, quarter + 1, 9 << 20])
    func matchesTheFormatAndRoundTrips(count: Int) async throws {
        let data = ChunkerFixtures.pseudoRandom(count: count, seed: UInt64(count))
        let chunker = try PipelineFixtures.chunker()
        let expected = try PipelineFixtures.referenceSeal(data, chunker: chunker)
        let one = FileSealer(chunker: chunker, cipher: PipelineFixtures.cipher(), workerCount: 1)
        let three = FileSealer(chunker: chunker, cipher: PipelineFixtures.cipher(), workerCount: 3)
        let results = try await withTimeout {
            [try await PipelineFixtures.seal(data, with: one, readSizes: [65_537, 1 << 20]),
             try await PipelineFixtures.seal(data, with: three)]
        }
        for sealed in results {
            #expect(sealed.file.chunks == expected.map(\.reference))
            #expect(sealed.blobs == expected.map(\.blob))
            #expect(sealed.indices == Array(expected.indices))
            #expect(sealed.file.byteCount == UInt64(count))
            #expect(sealed.offsets == Array(expected.map { UInt64($0.reference.length) }.reduce(into: [UInt64(0)]) { $0.append($0.last! + $1) }.dropLast()))
        }
        // Back through the opener, into a file.
        let directory = try TemporaryDirectory()
        let fd = try directory.openFile("out")
        defer { close(fd) }
        let opener = FileOpener(cipher: PipelineFixtures.cipher(), workerCount: 2)
        let store = PipelineFixtures.store(results[1])
        let chunks = results[1].file.chunks
        let written = try await withTimeout { try await opener.open(chunks, writingTo: fd, fetch: PipelineFixtures.fetcher(store)) }
        #expect(written == UInt64(count))
        #expect(try TemporaryDirectory.contents(of: fd) == data)
    }

    @Test func deliversInOrderDespiteSlowSinks() async throws {
        // Many small chunks (dense test parameters), workers finishing out of order, and a
        // sink that sleeps a random time for each: the sink must still see 0, 1, 2...
        let chunker = try PipelineFixtures.chunker(parameters: ChunkerReferenceTests.denseParameters)
        let data = ChunkerFixtures.pseudoRandom(count: 3_000_000, seed: 7)
        let expected = try PipelineFixtures.referenceSeal(data, chunker: chunker)
        #expect(expected.count > 50)
        let sealer = FileSealer(chunker: chunker, cipher: PipelineFixtures.cipher(), workerCount: 3)
        let sealed = try await withTimeout { () -> PipelineFixtures.Sealed in
            var ids: [[UInt8]] = [], indices: [Int] = []
            var generator = SystemRandomNumberGenerator()
            let file = try await sealer.seal(ScriptedByteSource(data: data, readSizes: [70_001])) { blob in
                try await Task.sleep(for: .microseconds(Int.random(in: 0...2_000, using: &generator)))
                ids.append(blob.blobID)
                indices.append(blob.index)
            }
            #expect(ids == file.chunks.map(\.blobID))
            return PipelineFixtures.Sealed(file: file, blobs: [], indices: indices, offsets: [])
        }
        #expect(sealed.indices == Array(0..<expected.count))
        #expect(sealed.file.chunks == expected.map(\.reference))
    }

    @Test func aReadErrorMidwayStopsCleanly() async throws {
        let sealer = FileSealer(chunker: try PipelineFixtures.chunker(), cipher: PipelineFixtures.cipher(), workerCount: 2)
        let delivered = try await withTimeout { () -> [Int] in
            var indices: [Int] = []
            await #expect(throws: FailingByteSource.Failure()) {
                _ = try await sealer.seal(FailingByteSource(bytesBeforeFailure: 12 << 20)) { blob in indices.append(blob.index) }
            }
            return indices
        }
        // Whatever was delivered before the error is a prefix, in order; every buffer is back.
        #expect(delivered == Array(0..<delivered.count))
        #expect(sealer.freeBufferCount == sealer.bufferCount)
        try await expectStillWorks(sealer)
    }

    @Test func aThrowingSinkStopsCleanly() async throws {
        struct SinkFailure: Error, Equatable {}
        let sealer = FileSealer(chunker: try PipelineFixtures.chunker(), cipher: PipelineFixtures.cipher(), workerCount: 2)
        let calls = try await withTimeout { () -> Int in
            var calls = 0
            await #expect(throws: SinkFailure()) {
                // An endless source: only the sink's error can end this run.
                _ = try await sealer.seal(EndlessByteSource()) { _ in
                    calls += 1
                    if calls == 3 { throw SinkFailure() }
                }
            }
            return calls
        }
        #expect(calls == 3)
        #expect(sealer.freeBufferCount == sealer.bufferCount)
        try await expectStillWorks(sealer)
    }

    @Test func cancellationStopsAnEndlessSource() async throws {
        let sealer = FileSealer(chunker: try PipelineFixtures.chunker(), cipher: PipelineFixtures.cipher(), workerCount: 2)
        let (started, signal) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            try await sealer.seal(EndlessByteSource()) { blob in
                if blob.index == 2 { signal.yield() }
            }
        }
        try await withTimeout {
            for await _ in started { break }
            task.cancel()
            await #expect(throws: CancellationError.self) { _ = try await task.value }
        }
        #expect(sealer.freeBufferCount == sealer.bufferCount)
        try await expectStillWorks(sealer)
    }

    @Test func concurrentCallsTakeTurnsAndAWaitingCallCanBeCancelled() async throws {
        let chunker = try PipelineFixtures.chunker()
        let sealer = FileSealer(chunker: chunker, cipher: PipelineFixtures.cipher(), workerCount: 2)
        let first = ChunkerFixtures.pseudoRandom(count: 5 << 20, seed: 1)
        let second = ChunkerFixtures.pseudoRandom(count: 3 << 20, seed: 2)
        // The first run's sink waits on a gate, so the others must queue behind it.
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let (entered, enter) = AsyncStream.makeStream(of: Void.self)
        let firstTask = Task {
            try await sealer.seal(ScriptedByteSource(data: first, readSizes: [1 << 20])) { blob in
                if blob.index == 0 {
                    enter.yield()
                    for await _ in gate { break }
                }
            }
        }
        try await withTimeout { () async throws -> Void in
            for await _ in entered { break }
            let waiting = Task { try await sealer.seal(ScriptedByteSource(data: second, readSizes: [1 << 20])) { _ in } }
            let queued = Task { try await PipelineFixtures.seal(second, with: sealer) }
            waiting.cancel()
            await #expect(throws: CancellationError.self) { _ = try await waiting.value }
            open.yield()
            let firstChunks = try await firstTask.value.chunks
            let secondChunks = try await queued.value.file.chunks
            #expect(firstChunks == (try PipelineFixtures.referenceSeal(first, chunker: chunker)).map(\.reference))
            #expect(secondChunks == (try PipelineFixtures.referenceSeal(second, chunker: chunker)).map(\.reference))
        }
    }

    /// Sizes that keep a multi-GiB run fast in a debug build, where the chunker scans about
    /// 100 MB/s: it judges only the last 64 KiB before the 4 MiB maximum, so the time goes to
    /// reading, sealing and opening, which this test is about.
    static let coarseParameters = ChunkingParameters(
        minimumSize: (4 << 20) - (64 << 10), normalSize: 4 << 20, maximumSize: 4 << 20,
        smallMask: ChunkingParameters.production.smallMask, largeMask: ChunkingParameters.production.largeMask)

    @Test func sparseMultiGigabyteFileDedupsAndRoundTrips() async throws {
        // 3 GiB of holes (past 2^31, so 32-bit offsets would show): every full chunk is the
        // same chunk, so the sink must see the same id each time; only distinct blobs are kept.
        let size = 3 << 30
        let chunker = try PipelineFixtures.chunker(parameters: Self.coarseParameters)
        let directory = try TemporaryDirectory()
        let fd = try directory.openFile("sparse")
        defer { close(fd) }
        #expect(ftruncate(fd, off_t(size)) == 0)
        let zeroChunks = try PipelineFixtures.referenceSeal([UInt8](repeating: 0, count: 9 << 20), chunker: chunker)
        let sealer = FileSealer(chunker: chunker, cipher: PipelineFixtures.cipher(), workerCount: 2)
        let (file, distinct, lastOffset) = try await withTimeout(seconds: 600) { () -> (SealedFile, [[UInt8]: [UInt8]], UInt64) in
            var distinct: [[UInt8]: [UInt8]] = [:]
            var lastOffset: UInt64 = 0
            let file = try await sealer.seal(FileDescriptorByteSource(fileDescriptor: fd)) { blob in
                if distinct[blob.blobID] == nil { distinct[blob.blobID] = blob.copyBytes() }
                lastOffset = blob.plaintextOffset
            }
            return (file, distinct, lastOffset)
        }
        #expect(file.byteCount == UInt64(size))
        let full = zeroChunks[0].reference
        #expect(file.chunks.dropLast().allSatisfy { $0 == full })
        #expect(file.chunks.count == (size + Int(full.length) - 1) / Int(full.length))
        #expect(lastOffset == UInt64(file.chunks.count - 1) * UInt64(full.length))
        #expect(distinct.count <= 2)

        // And back through a pipe, whose far end checks that 3 GiB of zeros arrive.
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let (counted, countedSignal) = AsyncStream.makeStream(of: (Int, Bool).self)
        Thread {
            var total = 0, allZero = true
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let count = chunk.withUnsafeMutableBytes { Glibc.read(readEnd, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                allZero = allZero && chunk.withUnsafeBytes { $0[0] == 0 && memcmp($0.baseAddress!, $0.baseAddress! + 1, count - 1) == 0 }
                total += count
            }
            close(readEnd)
            countedSignal.yield((total, allZero))
        }.start()
        let opener = FileOpener(cipher: PipelineFixtures.cipher(), workerCount: 2)
        let written = try await withTimeout(seconds: 600) {
            defer { close(writeEnd) }
            return try await opener.open(file.chunks, writingTo: writeEnd, fetch: PipelineFixtures.fetcher(distinct))
        }
        #expect(written == UInt64(size))
        for await (total, allZero) in counted {
            #expect(total == size && allZero)
            break
        }
    }

    @Test func releasedSealersStopTheirThreads() async throws {
        // deinit joins the threads; a hang here would trip the guard.
        let chunker = try PipelineFixtures.chunker()
        try await withTimeout {
            for workers in 1...4 {
                let sealer = FileSealer(chunker: chunker, cipher: PipelineFixtures.cipher(), workerCount: workers)
                #expect(sealer.workerCount == workers && sealer.bufferCount == FileSealer.slotsPerWorker * workers)
                _ = try await PipelineFixtures.seal([1, 2, 3], with: sealer)
            }
        }
    }

    /// A sealer that failed a run must seal the next file normally.
    func expectStillWorks(_ sealer: FileSealer, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let data = ChunkerFixtures.pseudoRandom(count: 2 << 20, seed: 99)
        let sealed = try await withTimeout { try await PipelineFixtures.seal(data, with: sealer) }
        let expected = try PipelineFixtures.referenceSeal(data, chunker: try PipelineFixtures.chunker())
        #expect(sealed.file.chunks == expected.map(\.reference), sourceLocation: sourceLocation)
    }
}
