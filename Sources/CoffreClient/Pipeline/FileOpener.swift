import CoffreCrypto

/// Rebuilds a file from its manifest: fetches each blob, checks and decrypts it
/// (`ChunkCipher.openCommitted`: size, version, GCM tag, framing, zero padding, length, key
/// commitment — every check but the blob id's hash, which these pin already:
/// docs/threat-model.md, "Why a read need not hash the blob"), and writes the plaintext to a
/// file descriptor, in order.
///
/// Parallel and bounded like `FileSealer`: the caller's task fetches ahead into reusable
/// buffers (two per worker), one fetch per free buffer at once, each fetched chunk goes to the
/// workers as soon as every chunk before it is fetched, `workerCount` threads verify and
/// decrypt concurrently, and one writer thread writes in order. Only verified plaintext is written. One file at a time per
/// opener; create it once per vault key generation and reuse it.
public final class FileOpener: Sendable {
    /// Fetches the blob stored under `blobID` into `buffer` (which refuses more than the
    /// largest blob). Called once per chunk, several at once on child tasks of the caller's.
    public typealias Fetch = @Sendable (_ blobID: [UInt8], _ buffer: inout BlobFetchBuffer) async throws -> Void

    private let pipeline: ChunkPipeline<FileDescriptorDestination>

    /// An opener for one vault key generation (`cipher` from its `convergence` subkey), with
    /// `workerCount` (≥ 1) decrypting threads, started now. Each blob is fetched into the first
    /// half of its buffer and decrypted into the second, its key commitment hashed slice by
    /// slice as AES-GCM writes the plaintext (one SHA-256 stream per byte, not two).
    public init(cipher: ChunkCipher, workerCount: Int = FileSealer.defaultWorkerCount) {
        let blobCapacity = ChunkCipher.maximumBlobByteCount
        pipeline = ChunkPipeline(
            name: "coffre-open", workerCount: workerCount, slotCapacity: 2 * blobCapacity,
            makeTransform: {
                // This worker's OpenSSL contexts, made with its first chunk and kept for all.
                var workspace: ChunkCipherWorkspace?
                return .whole { slot in
                    guard let reference = slot.reference else { preconditionFailure("a fetched slot carries its reference") }
                    do throws(CryptoFormatError) {
                        let contexts: ChunkCipherWorkspace
                        if let workspace {
                            contexts = workspace
                        } else {
                            contexts = try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in
                                try ChunkCipherWorkspace(for: cipher)
                            }
                        }
                        workspace = contexts
                        let blob = UnsafeRawBufferPointer(rebasing: slot.buffer[0..<slot.inputCount])
                        let plaintext = UnsafeMutableRawBufferPointer(rebasing: slot.buffer[blobCapacity...])
                        let count = try cipher.openCommitted(blob, into: plaintext, reference: reference, using: contexts)
                        slot.output = blobCapacity..<(blobCapacity + count)
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
    /// that fails verification (tampered, swapped, truncated, under any id), the fetcher's own error (a
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

    /// The producer: takes a free buffer for each chunk in manifest order and starts its fetch
    /// on a child task, so one fetch per buffer the run can take is in flight. Each fetch,
    /// once done, hands its chunk on through `FetchedChunkHandOff` together with any fetched
    /// chunks that waited for it, so the workers get a chunk as soon as it and every chunk
    /// before it are there, not when the producer next finds a free buffer. Every buffer
    /// taken is handed on or given back, whatever happens, so `endRun` drains.
    private func fetchAll(_ chunks: [ChunkReference], for run: PipelineRun, with fetch: @escaping Fetch) async throws {
        let pipeline = pipeline
        let handOff = FetchedChunkHandOff(pipeline: pipeline, run: run)
        defer { handOff.releaseWaiting() }
        try await withThrowingDiscardingTaskGroup { group in
            for (index, reference) in chunks.enumerated() {
                // Nil once the run failed (a fetch, a check, the writer, a cancellation).
                guard let slot = await pipeline.acquireSlot(for: run) else {
                    group.cancelAll()
                    return
                }
                group.addTask {
                    // The first half of the slot: the second receives the plaintext.
                    let storage = UnsafeMutableRawBufferPointer(rebasing: slot.buffer[0..<ChunkCipher.maximumBlobByteCount])
                    var buffer = BlobFetchBuffer(storage: storage, chunkIndex: index)
                    do {
                        try await fetch(reference.blobID, &buffer)
                    } catch {
                        // Fails the run before giving the buffer back, so the producer stops
                        // instead of starting another fetch with it.
                        pipeline.fail(run, with: error)
                        pipeline.release(slot, for: run)
                        throw error
                    }
                    slot.inputCount = buffer.count
                    slot.reference = reference
                    handOff.deliver(slot, at: index)
                }
            }
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
