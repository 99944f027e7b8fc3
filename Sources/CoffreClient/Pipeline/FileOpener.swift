/// Rebuilds a file from its manifest: fetches each blob, checks and decrypts it (blob id, GCM
/// tag, framing, zero padding, length, key commitment — `ChunkCipher.open`'s checks), and
/// writes the plaintext to a file descriptor, in order.
///
/// Parallel and bounded like `FileSealer`: the caller's task fetches ahead into reusable
/// buffers (two per worker), `workerCount` threads verify and decrypt concurrently, and one
/// writer thread writes in order. Only verified plaintext is written. One file at a time per
/// opener; create it once per vault key generation and reuse it.
public final class FileOpener: Sendable {
    /// Fetches the blob stored under `blobID` into `buffer` (which refuses more than the
    /// largest blob). Called once per chunk, in manifest order, on the caller's task.
    public typealias Fetch = (_ blobID: [UInt8], _ buffer: inout BlobFetchBuffer) async throws -> Void

    private let pipeline: ChunkPipeline<FileDescriptorDestination>

    /// An opener for one vault key generation (`cipher` from its `convergence` subkey), with
    /// `workerCount` (≥ 1) decrypting threads, started now.
    public init(cipher: ChunkCipher, workerCount: Int = FileSealer.defaultWorkerCount) {
        pipeline = ChunkPipeline(
            name: "coffre-open", workerCount: workerCount, slotCapacity: ChunkCipher.maximumBlobByteCount,
            transform: { slot in
                guard let reference = slot.reference else { preconditionFailure("a fetched slot carries its reference") }
                do throws(CryptoFormatError) {
                    let blob = UnsafeMutableRawBufferPointer(rebasing: slot.buffer[0..<slot.inputCount])
                    slot.output = try cipher.openInPlace(blob, reference: reference)
                } catch {
                    throw PipelineError.chunkRejected(index: slot.index, reason: error)
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
    public func open(_ chunks: [ChunkReference], writingTo fileDescriptor: Int32, fetch: Fetch) async throws -> UInt64 {
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

    /// The producer: fetches each blob into a free buffer and hands it to the workers, until
    /// the end or until the run fails.
    private func fetchAll(_ chunks: [ChunkReference], for run: PipelineRun, with fetch: Fetch) async throws {
        for (index, reference) in chunks.enumerated() {
            guard let slot = await pipeline.acquireSlot(for: run) else { return }
            var buffer = BlobFetchBuffer(storage: slot.buffer, chunkIndex: index)
            do {
                try await fetch(reference.blobID, &buffer)
            } catch {
                pipeline.release(slot, for: run)
                throw error
            }
            slot.inputCount = buffer.count
            slot.reference = reference
            pipeline.submit(slot, for: run)
        }
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
