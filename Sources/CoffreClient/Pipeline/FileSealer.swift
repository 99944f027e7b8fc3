import CoffreCrypto
import Foundation

/// Turns a file — any `ByteSource` — into its sealed blobs and its manifest, exactly as
/// docs/format.md specifies: FastCDC chunks (keyed), `chunkKey = HMAC(convergence, plaintext)`,
/// AES-256-GCM over the padded framing, blob id = SHA-256 of the blob.
///
/// Parallel and bounded: one reader thread reads and chunks ahead, straight into the buffers
/// the blobs are framed in (`SlotChunkReader`), while `workerCount` threads seal
/// chunks concurrently, with at most `slotsPerWorker` chunks per worker in flight in buffers
/// allocated once (about 4.3 MB each) and reused for every chunk and every file. Blobs reach
/// the sink in file order. Where the CPU has the SHA extensions, each worker holds two chunks
/// and hashes their keys and blob ids two streams at a time (`PairedSealingWorker`,
/// docs/performance.md). Nothing CPU-bound or
/// blocking runs on Swift's cooperative pool: the caller's task only waits and runs the sink.
///
/// One file at a time: concurrent `seal` calls on one sealer wait for their turn. Create the
/// sealer once per vault key generation and reuse it; its threads stop when it is released.
public final class FileSealer: Sendable {
    /// The worker count used when none is given: the processors this process may run on.
    public static var defaultWorkerCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Buffers per worker. A paired worker holds two chunks; with two buffers per worker those
    /// held them all and the reader had none to fill, so a worker found nothing to pair with
    /// and hashed alone (docs/performance.md, "Sync client"). Two more per worker leave one
    /// chunk being read and one waiting.
    static let slotsPerWorker = 4

    private let pipeline: ChunkPipeline<SourceHandOff>

    /// A sealer for one vault key generation: `chunker` from its `chunker` subkey, `cipher`
    /// from its `convergence` subkey, with `workerCount` (≥ 1) sealing threads. The threads
    /// start now and inherit the calling thread's CPU affinity.
    public convenience init(chunker: Chunker, cipher: ChunkCipher, workerCount: Int = FileSealer.defaultWorkerCount) {
        self.init(chunker: chunker, cipher: cipher, workerCount: workerCount, pairsHashes: SHA256Pair.isAvailable)
    }

    /// A sealer that chooses how it hashes, for comparisons (tests, benchmarks); the blobs are
    /// the same either way. `pairsHashes`: each worker hashes two chunks' keys and blob ids
    /// side by side (`PairedSealingWorker`); needs `SHA256Pair.isAvailable`. False seals each
    /// chunk on its own, hashing its blob id slice by slice right behind AES-GCM.
    public init(chunker: Chunker, cipher: ChunkCipher, workerCount: Int, pairsHashes: Bool) {
        precondition(!pairsHashes || SHA256Pair.isAvailable, "paired hashing needs the SHA extensions")
        pipeline = ChunkPipeline(
            name: "coffre-seal", workerCount: workerCount, slotsPerWorker: Self.slotsPerWorker,
            // Room for the largest chunk this chunker cuts (2 MiB in production), sealed.
            slotCapacity: ChunkCipher.blobByteCount(plaintextLength: chunker.parameters.maximumSize),
            makeTransform: {
                if pairsHashes { return PairedSealingWorker(cipher: cipher).transform }
                // This worker's OpenSSL contexts, made with its first chunk and kept for all.
                var workspace: ChunkCipherWorkspace?
                return .whole { slot in
                    try Self.sealing(slot) { () throws(CryptoFormatError) in
                        let contexts: ChunkCipherWorkspace
                        if let workspace { contexts = workspace } else { contexts = try cipher.makeWorkspace() }
                        workspace = contexts
                        try Self.seal(slot, with: cipher, using: contexts)
                    }
                }
            },
            makeService: {
                // The reader thread's own reader (and carry buffer), reused for every file.
                let reader = SlotChunkReader(chunker: chunker)
                return { pipeline, handOff, run in Self.read(handOff, with: reader, into: pipeline, run: run) }
            })
    }

    deinit {
        pipeline.shutDown()
    }

    /// Number of sealing threads.
    public var workerCount: Int { pipeline.workerCount }

    /// Chunks that can be in flight at once (`slotsPerWorker` per worker).
    public var bufferCount: Int { pipeline.slotCount }

    /// Buffers not in use; `bufferCount` between runs (the tests check nothing leaks).
    var freeBufferCount: Int { pipeline.freeSlotCount }

    /// Reads `source` to its end and calls `sink` once per chunk, in file order, with the sealed
    /// blob; returns the manifest and the plaintext size. An empty source gives no chunk.
    ///
    /// The first error stops everything and is rethrown as is: the source's read error, the
    /// sink's error, `CancellationError` when the task is cancelled, or
    /// `PipelineError.sealingFailed`. `seal` returns (or throws) only once the reader has let
    /// go of the source and every buffer is back, so the caller may close the source then. A
    /// read that blocks forever cannot be interrupted by cancellation. The source is read on
    /// the sealer's reader thread, hence `sending` and a conformance that is not isolated to
    /// an actor (`SendableMetatype`).
    ///
    /// A chunk among `known` (chunks whose blobs the server holds) is not sealed: the sink gets
    /// it with `isKnown` set, its known reference and no bytes.
    public func seal(
        _ source: sending some ByteSource & SendableMetatype, reusing known: KnownChunks? = nil,
        to sink: (borrowing SealedBlob) async throws -> Void
    ) async throws -> SealedFile {
        let run = try await pipeline.beginRun(SourceHandOff(source, known: known?.isEmpty == false ? known : nil))
        let outcome: Result<SealedFile, any Error>
        do {
            outcome = .success(
                try await withTaskCancellationHandler {
                    try await deliver(run, to: sink)
                } onCancel: {
                    pipeline.fail(run, with: CancellationError())
                })
        } catch {
            outcome = .failure(pipeline.fail(run, with: error))
        }
        if let failure = await pipeline.endRun(run) { throw failure }
        return try outcome.get()
    }

    /// Runs a worker's step on `slot`, its errors as `PipelineError.sealingFailed`.
    private static func sealing<R>(_ slot: ChunkSlot, _ body: () throws(CryptoFormatError) -> R) throws -> R {
        do throws(CryptoFormatError) { return try body() } catch { throw PipelineError.sealingFailed(index: slot.index, reason: error) }
    }

    /// Seals `slot`'s chunk on its own, the blob id hashed slice by slice right behind
    /// AES-GCM; a chunk among the caller's known chunks is not sealed (the sink gets its known
    /// reference and no bytes).
    private static func seal(_ slot: ChunkSlot, with cipher: ChunkCipher, using workspace: ChunkCipherWorkspace) throws(CryptoFormatError) {
        let key = try cipher.chunkKeyInPlace(slot.buffer, plaintextLength: slot.inputCount, using: workspace)
        if let known = slot.knownChunks, let reference = known.reference(key: key, length: slot.inputCount) {
            slot.reference = reference
            slot.isKnown = true
            slot.output = 0..<0
            return
        }
        slot.isKnown = false
        slot.reference = try cipher.sealInPlace(slot.buffer, plaintextLength: slot.inputCount, chunkKey: key, using: workspace)
        slot.output = 0..<ChunkCipher.blobByteCount(plaintextLength: slot.inputCount)
    }

    /// Takes sealed chunks in order, hands each to the sink, gives its buffer back.
    private func deliver(_ run: PipelineRun, to sink: (borrowing SealedBlob) async throws -> Void) async throws -> SealedFile {
        var chunks: [ChunkReference] = []
        var byteCount: UInt64 = 0
        while true {
            switch await pipeline.next(run, position: chunks.count) {
            case .failed(let error):
                throw error
            case .end:
                return SealedFile(chunks: chunks, byteCount: byteCount)
            case .chunk(let slot):
                defer { pipeline.release(slot, for: run) }
                guard let reference = slot.reference else { preconditionFailure("a sealed slot carries its reference") }
                let blob = SealedBlob(
                    index: slot.index, plaintextOffset: slot.plaintextOffset, reference: reference, isKnown: slot.isKnown,
                    bytes: slot.outputBytes)
                try await sink(blob)
                chunks.append(reference)
                byteCount += UInt64(reference.length)
            }
        }
    }

    /// The reader thread's part of a run: reads and chunks the source straight into free
    /// buffers, where the blobs will be framed.
    private static func read(
        _ handOff: SourceHandOff, with reader: SlotChunkReader, into pipeline: ChunkPipeline<SourceHandOff>, run: PipelineRun
    ) {
        do {
            try reader.read(&handOff.source, known: handOff.known, into: pipeline, run: run)
        } catch is SlotChunkReader.Stopped {
            // The run failed elsewhere; its error is already recorded.
        } catch {
            pipeline.fail(run, with: error)
        }
        pipeline.finishProducing(run)
    }
}

/// Carries the caller's byte source to the reader thread.
///
/// `@unchecked Sendable`: `seal` takes the source as `sending`, so the caller keeps no access
/// to it; after the hand-off only the reader thread touches it, and `seal` returns only after
/// the reader has finished with it.
final class SourceHandOff: @unchecked Sendable {
    var source: any ByteSource
    /// The chunks not to seal again, for every chunk of the run.
    let known: KnownChunks?

    init(_ source: sending any ByteSource, known: KnownChunks?) {
        self.source = source
        self.known = known
    }
}
