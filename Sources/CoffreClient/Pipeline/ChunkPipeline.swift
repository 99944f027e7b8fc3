import Foundation

/// The parallel engine under `FileSealer` and `FileOpener`: a fixed set of reusable chunk
/// slots, `workerCount` worker threads that transform chunks (seal or open them) concurrently,
/// and one service thread that does the blocking file I/O of a run (reading the source while
/// chunking, or writing the destination in order).
///
/// A run moves each chunk through three owners, and only through this pipeline's monitor:
///
///     producer ──acquireSlot/submit──▶ workers (transform) ──▶ consumer (next, in order) ──release──▶ free
///
/// For sealing, the service thread is the producer and the caller's task the consumer; for
/// opening, the caller's task produces (fetches) and the service thread consumes (writes).
/// At most `slotsPerWorker × workerCount` chunks are in flight, so memory stays bounded, and
/// the slots are allocated once. The first error of any stage fails the run: every stage then
/// stops at its next step and gives its slots back; `endRun` waits for that before returning.
///
/// Threads, not tasks: chunking, hashing and encrypting are CPU-bound for milliseconds per
/// chunk, and reads and writes block, so none of it runs on Swift's cooperative pool. The
/// threads start in `init` and stop in `shutDown`, which the owner calls from its `deinit`
/// (the threads hold the pipeline, so it cannot do so itself).
final class ChunkPipeline<ServiceInput: Sendable>: Sendable {
    /// The service thread's job for one run; it is made on that thread, so it may own
    /// non-Sendable state (a chunker window) across runs.
    typealias Service = (ChunkPipeline, ServiceInput, PipelineRun) -> Void

    /// Slots per worker unless the owner asks for more: one being transformed while the next is
    /// filled or consumed.
    static var defaultSlotsPerWorker: Int { 2 }

    /// Number of worker threads.
    let workerCount: Int
    /// Number of slots (chunks in flight at most).
    let slotCount: Int
    private let monitor: PipelineMonitor<PipelineState<ServiceInput>>

    /// Starts `workerCount` (≥ 1) workers, each running the transform `makeTransform` makes
    /// on it, and the service thread, with `slotsPerWorker` (≥ 2) slots per worker of
    /// `slotCapacity` bytes. Threads carry the Foundation names `name-worker-N` and
    /// `name-service`, and inherit the creating thread's CPU affinity.
    init(
        name: String, workerCount: Int, slotsPerWorker: Int = ChunkPipeline.defaultSlotsPerWorker, slotCapacity: Int,
        makeTransform: @escaping @Sendable () -> ChunkTransform,
        makeService: @escaping @Sendable () -> Service
    ) {
        precondition(workerCount >= 1 && slotsPerWorker >= 2, "a pipeline needs a worker and two slots per worker")
        self.workerCount = workerCount
        slotCount = workerCount * slotsPerWorker
        monitor = PipelineMonitor(PipelineState(slots: (0..<slotCount).map { _ in ChunkSlot(capacity: slotCapacity) }))
        for number in 1...workerCount {
            startThread(name: "\(name)-worker-\(number)") { self.runWorker(makeTransform()) }
        }
        startThread(name: "\(name)-service") { self.runService(makeService()) }
    }

    /// Stops and waits for every thread. No run may be active.
    func shutDown() {
        monitor.update { state in
            precondition(state.run == nil, "ChunkPipeline shut down during a run")
            state.isShuttingDown = true
        }
        monitor.wait { $0.liveThreads == 0 ? () : nil }
    }

    // MARK: Runs (caller's task)

    /// Waits until no other run is active, then starts one whose service thread gets `input`.
    /// Throws `CancellationError` if the task is cancelled while waiting.
    func beginRun(_ input: ServiceInput) async throws -> PipelineRun {
        let admission = await withTaskCancellationHandler {
            await monitor.wait { state -> PipelineAdmission? in
                if Task.isCancelled { return .cancelled }
                return state.admit().map(PipelineAdmission.admitted)
            }
        } onCancel: {
            monitor.update { _ in }
        }
        guard case .admitted(let run) = admission else { throw CancellationError() }
        monitor.update { $0.run?.serviceInput = input }
        return run
    }

    /// Fails the run with `error` unless it already failed or completed; returns the error
    /// that stands (the first one).
    @discardableResult
    func fail(_ run: PipelineRun, with error: any Error) -> any Error {
        monitor.update { $0.fail(run, with: error) } ?? error
    }

    /// Waits until every stage has let go of the run, ends it, and returns its failure. Not
    /// cancellable: the stages stop promptly once the run has failed.
    func endRun(_ run: PipelineRun) async -> (any Error)? {
        await monitor.wait { $0.isDrained(run) ? () : nil }
        return monitor.update { $0.close(run) }
    }

    // MARK: Stages

    /// A free slot, or nil once the run has failed. Blocks a service thread.
    func acquireSlot(for run: PipelineRun) -> ChunkSlot? {
        monitor.wait { $0.takeSlot(for: run) }
    }

    /// A free slot, or nil once the run has failed. Suspends a task.
    func acquireSlot(for run: PipelineRun) async -> ChunkSlot? {
        await monitor.wait { $0.takeSlot(for: run) }
    }

    /// Hands a filled slot to the workers; it gets the next position of the run.
    func submit(_ slot: ChunkSlot, for run: PipelineRun) {
        monitor.update { $0.submit(slot, for: run) }
    }

    /// Says the producer has submitted its last chunk (or stopped).
    func finishProducing(_ run: PipelineRun) {
        monitor.update { $0.finishProducing(run) }
    }

    /// The transformed chunk at `position`, the end, or the failure. Blocks a service thread.
    func next(_ run: PipelineRun, position: Int) -> PipelineNext {
        monitor.wait { $0.takeNext(run, position: position) }
    }

    /// The transformed chunk at `position`, the end, or the failure. Suspends a task.
    func next(_ run: PipelineRun, position: Int) async -> PipelineNext {
        await monitor.wait { $0.takeNext(run, position: position) }
    }

    /// Gives a slot back.
    func release(_ slot: ChunkSlot, for run: PipelineRun) {
        monitor.update { $0.release(slot, for: run) }
    }

    /// Slots currently free; all of them between runs.
    var freeSlotCount: Int {
        monitor.read { $0.free.count }
    }

    // MARK: Threads

    private func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
        monitor.update { $0.liveThreads += 1 }
        let thread = Thread {
            body()
            self.monitor.update { $0.liveThreads -= 1 }
        }
        thread.name = name
        thread.start()
    }

    private func runWorker(_ transform: ChunkTransform) {
        while true {
            if transform.hasRoom() {
                // Never wait for work while holding a chunk: without a chunk ready now, the
                // transform goes on with the ones it holds (ChunkTransform). Taking work
                // changes nothing anyone waits for, so neither way wakes anyone.
                let step = transform.isHolding()
                    ? monitor.poll { $0.takeWork() } : monitor.wait(until: { $0.takeWork() })
                switch step {
                case .stop:
                    // Shutting down needs an ended run, and a run ends only once every slot is back.
                    precondition(!transform.isHolding(), "a worker stopped while holding a chunk")
                    return
                case .transform(let slot, runFailed: true):
                    // The run failed: give the slot back untouched.
                    monitor.update { $0.finishWork(slot, error: nil) }
                    continue
                case .transform(let slot, runFailed: false):
                    transform.take(slot)
                case nil:
                    break
                }
            }
            for (slot, failure) in transform.advance() {
                monitor.update { $0.finishWork(slot, error: failure) }
            }
        }
    }

    private func runService(_ service: Service) {
        while case .serve(let input, let run) = monitor.wait(until: { $0.takeServiceStep() }) {
            service(self, input, run)
            monitor.update { $0.finishService(run) }
        }
    }
}
