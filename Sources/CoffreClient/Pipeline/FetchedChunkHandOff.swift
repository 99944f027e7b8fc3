import Synchronization

/// Hands fetched slots (a pair of chunks each, `FileOpener`) to a `ChunkPipeline`'s workers in
/// manifest order, as soon as the slot and every one before it are fetched, from whichever
/// fetch task completes the run of consecutive slots.
///
/// `FileOpener`'s producer only takes free slots and starts fetches; it never waits for a fetch
/// to end before handing one on. Before, it handed chunks on only from its own loop, one for
/// each slot the writer gave back, so fetched chunks sat in their slots while the workers idled
/// and two workers opened no faster than one (docs/performance.md, "FileOpener scaling").
final class FetchedChunkHandOff: Sendable {
    private struct State {
        /// Position of the next slot to hand on.
        var next = 0
        /// Fetched slots waiting for an earlier one, by position.
        var waiting: [Int: ChunkSlot] = [:]
    }

    private let pipeline: ChunkPipeline<FileDescriptorDestination>
    private let run: PipelineRun
    /// Also orders the submissions: `ChunkPipeline.submit` numbers slots in the order it is
    /// called, so it is called only with this lock held. The pipeline's monitor never calls
    /// back here, so the two locks are always taken in this order.
    private let state = Mutex(State())

    init(pipeline: ChunkPipeline<FileDescriptorDestination>, run: PipelineRun) {
        self.pipeline = pipeline
        self.run = run
    }

    /// Takes the fetched slot at `position` and submits every slot that is now next in order.
    func deliver(_ slot: ChunkSlot, at position: Int) {
        state.withLock { state in
            state.waiting[position] = slot
            while let ready = state.waiting.removeValue(forKey: state.next) {
                pipeline.submit(ready, for: run)
                state.next += 1
            }
        }
    }

    /// Gives back the slots still waiting for one that will never come (its fetch
    /// failed); called once every fetch has ended.
    func releaseWaiting() {
        let left = state.withLock { state in
            defer { state.waiting.removeAll() }
            return Array(state.waiting.values)
        }
        for slot in left { pipeline.release(slot, for: run) }
    }
}
