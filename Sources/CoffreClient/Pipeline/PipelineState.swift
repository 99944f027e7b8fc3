/// One file's pass through a `ChunkPipeline`. Only one run is active at a time per pipeline.
struct PipelineRun: Sendable, Equatable {
    let id: Int
}

/// How a wait to start a run ended.
enum PipelineAdmission {
    case admitted(PipelineRun)
    case cancelled
}

/// What the consumer of a run finds at the next position.
enum PipelineNext {
    /// The chunk at that position, transformed; the consumer now owns the slot.
    case chunk(ChunkSlot)
    /// The producer finished and every chunk (`count` of them) was taken.
    case end(count: Int)
    /// The run failed; this is its first error.
    case failed(any Error)
}

/// The shared state of a `ChunkPipeline`, changed only through its monitor. Methods named
/// `take…` are waiting predicates: nil means "not yet".
struct PipelineState<ServiceInput> {
    /// The bookkeeping of the active run.
    struct Run {
        let id: Int
        /// What the service thread works on (a source, a destination), until it takes it.
        var serviceInput: ServiceInput?
        /// The first error; once set, every stage stops and gives its slots back.
        var failure: (any Error)?
        /// The consumer reached the end: a later failure (a late cancellation) is ignored.
        var completed = false
        var producerFinished = false
        var serviceFinished = false
        /// Chunks submitted so far; they have positions `0..<submitted`.
        var submitted = 0
        /// Transformed chunks waiting for the consumer, by position.
        var finished: [Int: ChunkSlot] = [:]
        /// Slots taken from the free list and not yet given back.
        var held = 0
    }

    /// What a worker does next.
    enum WorkerStep {
        case transform(ChunkSlot, runFailed: Bool)
        case stop
    }

    /// What the service thread does next.
    enum ServiceStep {
        case serve(ServiceInput, PipelineRun)
        case stop
    }

    var free: [ChunkSlot]
    /// Submitted chunks waiting for a worker, oldest first.
    var queue: [ChunkSlot] = []
    var run: Run?
    var nextRunID = 1
    var isShuttingDown = false
    var liveThreads = 0

    init(slots: [ChunkSlot]) {
        free = slots
    }

    private func isActive(_ run: PipelineRun) -> Bool { self.run?.id == run.id }

    // MARK: Runs

    /// Starts a run if none is active.
    mutating func admit() -> PipelineRun? {
        guard run == nil, !isShuttingDown else { return nil }
        let id = nextRunID
        nextRunID += 1
        run = Run(id: id)
        return PipelineRun(id: id)
    }

    /// Records `error` as the run's failure unless it already failed or completed, gives back
    /// the slots of transformed chunks, and returns the failure that stands.
    mutating func fail(_ run: PipelineRun, with error: any Error) -> (any Error)? {
        guard isActive(run) else { return nil }
        if self.run!.failure == nil, !self.run!.completed {
            self.run!.failure = error
            free.append(contentsOf: self.run!.finished.values)
            self.run!.held -= self.run!.finished.count
            self.run!.finished.removeAll()
        }
        return self.run!.failure
    }

    /// True when no stage works on the run any more and every slot is back.
    func isDrained(_ run: PipelineRun) -> Bool {
        guard let active = self.run, active.id == run.id else { return true }
        return active.producerFinished && active.serviceFinished && active.held == 0
    }

    /// Ends a drained run and returns its failure, if any.
    mutating func close(_ run: PipelineRun) -> (any Error)? {
        guard isActive(run) else { return nil }
        let failure = self.run!.failure
        self.run = nil
        return failure
    }

    // MARK: Producer

    /// A free slot for the run (`.some(nil)` once the run has failed).
    mutating func takeSlot(for run: PipelineRun) -> ChunkSlot?? {
        guard isActive(run), self.run!.failure == nil else { return .some(nil) }
        guard let slot = free.popLast() else { return nil }
        self.run!.held += 1
        return .some(slot)
    }

    /// Queues a filled slot for the workers at the next position.
    mutating func submit(_ slot: ChunkSlot, for run: PipelineRun) {
        guard isActive(run) else { return }
        slot.index = self.run!.submitted
        self.run!.submitted += 1
        queue.append(slot)
    }

    mutating func finishProducing(_ run: PipelineRun) {
        if isActive(run) { self.run!.producerFinished = true }
    }

    // MARK: Workers

    mutating func takeWork() -> WorkerStep? {
        if isShuttingDown { return .stop }
        guard !queue.isEmpty else { return nil }
        return .transform(queue.removeFirst(), runFailed: run?.failure != nil)
    }

    /// Files a transformed chunk for the consumer, or gives its slot back if the run failed.
    mutating func finishWork(_ slot: ChunkSlot, error: (any Error)?) {
        guard let active = run else { return }
        if let error { _ = fail(PipelineRun(id: active.id), with: error) }
        if run!.failure != nil {
            free.append(slot)
            run!.held -= 1
        } else {
            run!.finished[slot.index] = slot
        }
    }

    // MARK: Consumer

    /// The chunk at `position`, the end, or the failure.
    mutating func takeNext(_ run: PipelineRun, position: Int) -> PipelineNext? {
        guard isActive(run) else { return .failed(CancellationError()) }
        if let failure = self.run!.failure { return .failed(failure) }
        if let slot = self.run!.finished.removeValue(forKey: position) { return .chunk(slot) }
        if self.run!.producerFinished, position == self.run!.submitted {
            self.run!.completed = true
            return .end(count: position)
        }
        return nil
    }

    /// Gives a slot back to the free list.
    mutating func release(_ slot: ChunkSlot, for run: PipelineRun) {
        guard isActive(run) else { return }
        free.append(slot)
        self.run!.held -= 1
    }

    // MARK: Service thread

    mutating func takeServiceStep() -> ServiceStep? {
        if isShuttingDown { return .stop }
        guard let active = run, let input = active.serviceInput else { return nil }
        run!.serviceInput = nil
        return .serve(input, PipelineRun(id: active.id))
    }

    mutating func finishService(_ run: PipelineRun) {
        if isActive(run) { self.run!.serviceFinished = true }
    }
}
