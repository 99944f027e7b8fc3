import CoffreCrypto

/// Rebuilds a file from its manifest: fetches each blob, checks and decrypts it
/// (`ChunkCipher.openCommitted`: size, version, GCM tag, framing, zero padding, length, key
/// commitment — every check but the blob id's hash, which these pin already:
/// docs/threat-model.md, "Why a read need not hash the blob"), and writes the plaintext to a
/// file descriptor, in order.
///
/// Chunks go through in pairs: each reusable buffer takes two consecutive chunks of the
/// manifest (the last one of an odd count alone), and a worker opens the two together, their
/// key commitments hashed as a pair of SHA-NI streams (`OpeningWorker`), each with exactly
/// the verdict it gets alone. Parallel and bounded like `FileSealer`: the caller's task fetches
/// ahead into the buffers (two per worker), one fetch task per free buffer, each pair going to
/// the workers as soon as it and every pair before it are fetched; `workerCount` threads open
/// concurrently, and one writer thread writes each pair's plaintext in order, with one write.
/// Only verified plaintext is written. One file at a time per opener; create it once per vault
/// key generation and reuse it.
public final class FileOpener: Sendable {
    /// Fetches the blob stored under `blobID` into `buffer` (which refuses more than the
    /// largest blob). Called once per chunk, several at once on child tasks of the caller's.
    public typealias Fetch = @Sendable (_ blobID: [UInt8], _ buffer: inout BlobFetchBuffer) async throws -> Void

    private let pipeline: ChunkPipeline<FileDescriptorDestination>
    /// Where a large file's plaintext is gathered for direct writes (`FileDescriptorDestination`).
    private let staging: DirectWriteStaging

    /// An opener for one vault key generation (`cipher` from its `convergence` subkey), with
    /// `workerCount` (≥ 1) opening threads, started now. Each buffer holds two blobs as fetched
    /// and their two plaintexts (about 17 MB); the buffers are allocated once and reused.
    public convenience init(cipher: ChunkCipher, workerCount: Int = FileSealer.defaultWorkerCount) {
        self.init(cipher: cipher, workerCount: workerCount, staging: DirectWriteStaging())
    }

    /// The same with the staging buffers given (a test's, with a `DirectWriteStaging.writeFault`).
    init(cipher: ChunkCipher, workerCount: Int, staging: DirectWriteStaging) {
        self.staging = staging
        pipeline = ChunkPipeline(
            name: "coffre-open", workerCount: workerCount, slotCapacity: OpeningWorker.Layout.slotCapacity,
            makeTransform: {
                let worker = OpeningWorker(cipher: cipher)
                return .whole { slot in try worker.open(slot) }
            },
            makeService: {
                { pipeline, destination, run in Self.write(to: destination, from: pipeline, run: run) }
            })
    }

    deinit {
        pipeline.shutDown()
    }

    /// Number of opening threads.
    public var workerCount: Int { pipeline.workerCount }

    /// Buffers, each for a pair of chunks in flight (two per worker).
    public var bufferCount: Int { pipeline.slotCount }

    /// Buffers not in use; `bufferCount` between runs (the tests check nothing leaks).
    var freeBufferCount: Int { pipeline.freeSlotCount }

    /// Writes the plaintext of `chunks` to `fileDescriptor` from its current position, fetching
    /// each blob with `fetch`; returns the number of bytes written (the sum of the lengths).
    /// The descriptor stays the caller's: it is neither closed nor synced.
    ///
    /// The first error stops everything and is thrown: `PipelineError.chunkRejected` for a blob
    /// that fails verification (tampered, swapped, truncated, under any id), the fetcher's own error (a
    /// missing blob), `PipelineError.blobTooLarge`, `PipelineError.destinationFailed`, or
    /// `CancellationError` (or, for a run written directly, the failure of its last partial
    /// block's write). Then a regular-file destination is cut back to where it stood when
    /// `open` began, so it never looks complete (if that cut fails, its
    /// `destinationFailed(operation: "ftruncate", …)` is thrown instead); a pipe keeps what was
    /// written, and the error is the signal.
    public func open(_ chunks: [ChunkReference], writingTo fileDescriptor: Int32, fetch: @escaping Fetch) async throws -> UInt64 {
        // docs/format.md, "Chunk reference": 1 ≤ length ≤ 4 MiB (the upper bound is ChunkReference's).
        guard chunks.allSatisfy({ $0.length > 0 }) else { throw PipelineError.invalidManifest("a chunk of length 0") }
        let total = chunks.reduce(0) { $0 + UInt64($1.length) }
        let destination = try FileDescriptorDestination(fileDescriptor: fileDescriptor)
        let run = try await pipeline.beginRun(destination)
        // Only now: the staging buffer is the run's (one run at a time), and nothing is written yet.
        destination.prepareDirectWrites(byteCount: Int(total), staging: staging)
        do {
            try await withTaskCancellationHandler {
                try await fetchAll(chunks, for: run, with: fetch)
            } onCancel: {
                pipeline.fail(run, with: CancellationError())
            }
        } catch {
            pipeline.fail(run, with: error)
        }
        pipeline.finishProducing(run)
        var failure = await pipeline.endRun(run)
        if failure == nil {
            do { try destination.finish() } catch { failure = error }
        }
        if let failure {
            try destination.rollBack()
            throw failure
        }
        return total
    }

    /// The producer: takes a free buffer for each pair of chunks in manifest order and starts
    /// their two fetches on a child task, so a pair of fetches per buffer the run can take is
    /// in flight. Each fetch task, once done, hands its pair on through
    /// `FetchedChunkHandOff` together with any fetched pairs that waited for it, so the
    /// workers get a pair as soon as it and every pair before it are there, not when the
    /// producer next finds a free buffer. Every buffer taken is handed on or given back,
    /// whatever happens, so `endRun` drains.
    private func fetchAll(_ chunks: [ChunkReference], for run: PipelineRun, with fetch: @escaping Fetch) async throws {
        let pipeline = pipeline
        let handOff = FetchedChunkHandOff(pipeline: pipeline, run: run)
        defer { handOff.releaseWaiting() }
        try await withThrowingDiscardingTaskGroup { group in
            for (position, first) in stride(from: 0, to: chunks.count, by: 2).enumerated() {
                // Nil once the run failed (a fetch, a check, the writer, a cancellation).
                guard let slot = await pipeline.acquireSlot(for: run) else {
                    group.cancelAll()
                    return
                }
                let pair = chunks[first..<min(first + 2, chunks.count)]
                group.addTask {
                    let counts: (Int, Int)
                    do {
                        // Both fetches at once: a pair is ready after the slower, not after both in turn.
                        async let firstCount = Self.fetch(pair[first], into: slot, member: 0, chunkIndex: first, with: fetch)
                        async let secondCount = pair.count == 2
                            ? Self.fetch(pair[first + 1], into: slot, member: 1, chunkIndex: first + 1, with: fetch) : 0
                        counts = try await (firstCount, secondCount)
                    } catch {
                        // Fails the run before giving the buffer back, so the producer stops
                        // instead of starting another fetch with it.
                        pipeline.fail(run, with: error)
                        pipeline.release(slot, for: run)
                        throw error
                    }
                    slot.reference = pair[first]
                    slot.inputCount = counts.0
                    slot.pairedChunk = pair.count == 2 ? (pair[first + 1], counts.1) : nil
                    handOff.deliver(slot, at: position)
                }
            }
        }
    }

    /// Fetches `reference`'s blob into the place of `slot`'s chunk `member`; returns its length.
    private static func fetch(
        _ reference: ChunkReference, into slot: ChunkSlot, member: Int, chunkIndex: Int, with fetch: Fetch
    ) async throws -> Int {
        var buffer = BlobFetchBuffer(storage: OpeningWorker.Layout.blobSpace(member, of: slot), chunkIndex: chunkIndex)
        try await fetch(reference.blobID, &buffer)
        return buffer.count
    }

    /// The writer thread's part of a run: writes each verified pair in order.
    private static func write(
        to destination: FileDescriptorDestination, from pipeline: ChunkPipeline<FileDescriptorDestination>, run: PipelineRun
    ) {
        var position = 0
        while case .chunk(let slot) = pipeline.next(run, position: position) {
            defer { pipeline.release(slot, for: run) }
            do {
                try destination.write(slot.outputBytes)
            } catch {
                pipeline.fail(run, with: error)
                return
            }
            position += 1
        }
    }
}
