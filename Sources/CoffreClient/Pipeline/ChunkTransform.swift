/// What a `ChunkPipeline` worker does to chunks: it takes chunks in, one at a time, and works
/// on the chunks it holds step by step, filing each as soon as it is done.
///
/// Most transforms hold one chunk and finish it in one step (`whole`). The sealer's paired
/// transform (`PairedSealingWorker`) holds two, so that it always has two SHA-256 streams to
/// hash side by side (`SHA256Pair`): one chunk's key or blob id, another's. The worker offers
/// it a chunk whenever it has room, and never waits for work while it holds a chunk: without a
/// chunk ready now, it goes on with the ones it holds, so the consumer waiting for one of them
/// and the producer waiting for a free slot cannot wait on each other.
///
/// Made on its worker thread and used only there, so its closures may own non-Sendable state
/// (OpenSSL contexts, hash streams) across chunks and runs. Errors fail the run.
struct ChunkTransform {
    /// A chunk the transform is done with, and its failure (nil: transformed).
    typealias Finished = (slot: ChunkSlot, failure: (any Error)?)

    /// True when the transform may take another chunk now.
    let hasRoom: () -> Bool
    /// True while the transform holds a chunk it has not finished.
    let isHolding: () -> Bool
    /// Takes `slot` in; work on it starts with the next `advance`.
    let take: (_ slot: ChunkSlot) -> Void
    /// One step of work on the chunks held (at least one); returns those it finished.
    let advance: () -> [Finished]

    /// A transform that holds one chunk and does all its work on it in one step.
    static func whole(_ body: @escaping (ChunkSlot) throws -> Void) -> ChunkTransform {
        var held: ChunkSlot?
        return ChunkTransform(
            hasRoom: { held == nil },
            isHolding: { held != nil },
            take: { slot in
                precondition(held == nil, "a whole-chunk transform holds one chunk")
                held = slot
            },
            advance: {
                guard let slot = held else { preconditionFailure("advance without a chunk") }
                held = nil
                do {
                    try body(slot)
                    return [(slot, nil)]
                } catch {
                    return [(slot, error)]
                }
            })
    }
}
