/// What a `ChunkPipeline` worker does to each chunk, in two parts, with the option of keeping a
/// chunk back between them.
///
/// A transform that keeps a chunk back (`complete` returns true) finishes it together with the
/// worker's next chunk: the sealer hashes chunk n's blob id and chunk m's key as one pair of
/// SHA-256 streams (`SHA256Pair`). The worker passes the kept chunk to `begin` with the next
/// one when a next one is ready at once, and files it right after `begin`; when none is ready
/// (or the file has ended) it calls `finishKept` and files it alone. A worker never waits for
/// work while it keeps a chunk, so the consumer waiting for that chunk and the producer
/// waiting for a free slot cannot wait on each other.
///
/// Made on its worker thread and used only there, so its closures may own non-Sendable state
/// (OpenSSL contexts) across chunks and runs. Errors fail the run.
struct ChunkTransform {
    /// The first part of the work on `slot`; finishes `kept` (this worker's kept chunk, if any)
    /// along the way.
    let begin: (_ slot: ChunkSlot, _ kept: ChunkSlot?) throws -> Void
    /// The rest of the work on `slot`; true keeps it back, unfinished.
    let complete: (_ slot: ChunkSlot) throws -> Bool
    /// Finishes a kept chunk alone.
    let finishKept: (_ kept: ChunkSlot) throws -> Void

    /// A transform that does all its work in `begin` and never keeps a chunk back.
    static func whole(_ body: @escaping (ChunkSlot) throws -> Void) -> ChunkTransform {
        ChunkTransform(
            begin: { slot, _ in try body(slot) },
            complete: { _ in false },
            finishKept: { _ in preconditionFailure("a whole-chunk transform keeps no chunk back") })
    }
}
