/// Rebuilds a file from its manifest: fetches each blob, checks and decrypts it (blob id, GCM
/// tag, framing, zero padding, length, key commitment — `ChunkCipher.open`'s checks), and
/// writes the plaintext to a file descriptor, in order.
///
/// Parallel and bounded like `FileSealer`: the caller's task fetches ahead into reusable
/// buffers (two per worker), one fetch per free buffer at once, `workerCount` threads verify
/// and decrypt concurrently, and one writer thread writes in order. Only verified plaintext is written. One file at a time per
/// opener; create it once per vault key generation and reuse it.
public final class FileOpener: Sendable {
    /// Fetches the blob stored under `blobID` into `buffer` (which refuses more than the
    /// largest blob). Called once per chunk, several at once on child tasks of the caller's.
    public typealias Fetch = @Sendable (_ blobID: [UInt8], _ buffer: inout BlobFetchBuffer) async throws -> Void

    private let pipeline: ChunkPipeline<FileDescriptorDestination>

    /// An opener for one vault key generation (`cipher` from its `convergence` subkey), with
    /// `workerCount` (≥ 1) decrypting threads, started now.
    public init(cipher: ChunkCipher, workerCount: Int = FileSealer.defaultWorkerCount) {
        pipeline = ChunkPipeline(
            name: "coffre-open", workerCount: workerCount, slotCapacity: ChunkCipher.maximumBlobByteCount,
            makeTransform: {
                // This worker's OpenSSL contexts, made with its first chunk and kept for all.
                var workspace: ChunkCipherWorkspace?
                return .whole { slot in
                    guard let reference = slot.reference else { preconditionFailure("a fetched slot carries its reference") }
                    do throws(CryptoFormatError) {
                        let contexts: ChunkCipherWorkspace
                        if let workspace { contexts = workspace } else { contexts = try cipher.makeWorkspace() }
                        workspace = contexts
                        let blob = UnsafeMutableRawBufferPointer(rebasing: slot.buffer[0..<slot.inputCount])
                        slot.output = try cipher.openInPlace(blob, reference: reference, using: contexts)
                    } catch {
                        throw PipelineError.chunkRejected(index: slot.index, reason: error)
                    }
                }
            },
            makeService: {
                { pipeline, destination, run in Self.write(to: destination, from: pipeline, run: run) }
            })
    }

    deinit {
        pipeline.shutDown()
    }

    /// Number of decrypting threads.
    public var workerCount: Int { pipeline.workerCount }

    /// Chunks that can be in flight at once (two per worker).
    public var bufferCount: Int { pipeline.slotCount }

    /// Buffers not in use; `bufferCount` between runs (the tests check nothing leaks).
    var freeBufferCount: Int { pipeline.freeSlotCount }

    /// Writes the plaintext of `chunks` to `fileDescriptor` from its current position, fetching
    /// each blob with `fetch`; returns the number of bytes written (the sum of the lengths).
    /// The descriptor stays the caller's: it is neither closed nor synced.
    ///
    /// The first error stops everything and is thrown: `PipelineError.chunkRejected` for a blob
    /// that fails verification (tampered, swapped, truncated), the fetcher's own error (a
    /// missing blob), `PipelineError.blobTooLarge`, `PipelineError.destinationFailed`, or
    /// `CancellationError`. Then a regular-file destination is cut back to where it stood when
    /// `open` began, so it never looks complete (if that cut fails, its
    /// `destinationFailed(operation: "ftruncate", …)` is thrown instead); a pipe keeps what was
    /// written, and the error is the signal.
    public func open(_ chunks: [ChunkReference], writingTo fileDescriptor: Int32, fetch: @escaping Fetch) async throws -> UInt64 {
        // docs/format.md, "Chunk reference": 1 ≤ length ≤ 4 MiB (the upper bound is ChunkReference's).
        guard chunks.allSatisfy({ $0.length > 0 }) else { throw PipelineError.invalidManifest("a chunk of length 0") }
        let destination = try FileDescriptorDestination(fileDescriptor: fileDescriptor)
        let run = try await pipeline.beginRun(destination)
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
        if let failure = await pipeline.endRun(run) {
            try destination.rollBack()
            throw failure
        }
        return chunks.reduce(0) { $0 + UInt64($1.length) }
    }

    /// The producer: fetches blobs into free buffers, several at once (one per buffer the
    /// run can take), and hands them to the workers in manifest order, until the end or until
    /// the run fails. A fetch that waits on the network no longer holds up the next ones.
    /// Every buffer taken is handed on or given back, whatever happens, so `endRun` drains.
    private func fetchAll(_ chunks: [ChunkReference], for run: PipelineRun, with fetch: @escaping Fetch) async throws {
        let pipeline = pipeline
        let limit = pipeline.slotCount
        try await withThrowingTaskGroup(of: FetchedSlot.self) { group in
            var fetched: [Int: FetchedSlot] = [:]
            var nextPosition = 0
            // Slots taken by this producer and not handed on: being fetched, or fetched and
            // waiting for the chunks before them. Position `nextPosition` is always being
            // fetched while any is held, so waiting for a fetch to end always makes progress.
            var held = 0
            do {
                for (index, reference) in chunks.enumerated() {
                    while held == limit, let done = try await group.next() {
                        fetched[done.index] = done
                        while let ready = fetched.removeValue(forKey: nextPosition) {
                            pipeline.submit(ready.slot, for: run)
                            nextPosition += 1
                            held -= 1
                        }
                    }
                    guard let slot = await pipeline.acquireSlot(for: run) else { break }
                    held += 1
                    group.addTask { try await Self.fetch(reference, at: index, into: slot, for: run, of: pipeline, with: fetch) }
                }
                while let done = try await group.next() {
                    fetched[done.index] = done
                    while let ready = fetched.removeValue(forKey: nextPosition) {
                        pipeline.submit(ready.slot, for: run)
                        nextPosition += 1
                    }
                }
            } catch {
                group.cancelAll()
                while let outcome = await group.nextResult() {
                    // A failed fetch gave its slot back itself.
                    if case .success(let done) = outcome { pipeline.release(done.slot, for: run) }
                }
                for leftover in fetched.values { pipeline.release(leftover.slot, for: run) }
                throw error
            }
        }
    }

    /// One fetch, on its own child task: the blob into `slot`, which it fills in for the
    /// workers, or gives back when the fetch fails.
    private static func fetch(
        _ reference: ChunkReference, at index: Int, into slot: ChunkSlot, for run: PipelineRun,
        of pipeline: ChunkPipeline<FileDescriptorDestination>, with fetch: Fetch
    ) async throws -> FetchedSlot {
        var buffer = BlobFetchBuffer(storage: slot.buffer, chunkIndex: index)
        do {
            try await fetch(reference.blobID, &buffer)
        } catch {
            pipeline.release(slot, for: run)
            throw error
        }
        slot.inputCount = buffer.count
        slot.reference = reference
        return FetchedSlot(index: index, slot: slot)
    }

    /// The writer thread's part of a run: writes each verified chunk in order.
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

/// A fetched chunk waiting for its turn to be handed to the workers.
///
/// `ChunkSlot` is `@unchecked Sendable` (one owner at a time): the fetch task that filled the
/// slot hands it to the producer through the task group and never touches it again.
private struct FetchedSlot: Sendable {
    let index: Int
    let slot: ChunkSlot
}
