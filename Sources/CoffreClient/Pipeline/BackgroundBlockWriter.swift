import Dispatch
import Synchronization

/// Runs one disk write at a time off the calling thread, so a `FileDescriptorDestination`
/// writing directly can stage the next plaintext while the device takes the last: the writer
/// thread starts a write, goes on copying into the other staging buffer, and waits for the
/// write only when it needs that buffer again or ends the run (docs/performance.md, "Device B's
/// 1 GiB download: direct writes overlapped with the staging").
///
/// At most one write is in flight: `start` requires the previous one waited for, so writes
/// reach the file in the order they were started and never touch the same buffer twice at once.
/// A write's error is kept until `wait` throws it. Used by one run at a time (the staging's).
final class BackgroundBlockWriter: Sendable {
    /// A serial queue: its one work item at a time is the write in flight.
    private let queue = DispatchQueue(label: "coffre.open.direct-write", qos: .userInitiated)
    /// True from `start` until `wait` has collected the write's outcome.
    private let started = Atomic<Bool>(false)
    /// True once the write in flight has returned (its outcome is in `failure`).
    private let done = Atomic<Bool>(true)
    /// The failure of the last write, until `wait` takes it.
    private let failure = Mutex<PipelineError?>(nil)

    /// Whether the write last started is still running (false when none was started).
    var isWriting: Bool { !done.load(ordering: .acquiring) }

    /// Whether a write was started and not yet waited for.
    var hasPendingWrite: Bool { started.load(ordering: .relaxed) }

    /// Runs `write` on the writer's queue. The previous write must have been waited for
    /// (`wait`): one write in flight at a time.
    func start(_ write: @escaping @Sendable () throws(PipelineError) -> Void) {
        precondition(!started.exchange(true, ordering: .relaxed), "BackgroundBlockWriter: a write is already in flight")
        done.store(false, ordering: .releasing)
        queue.async {
            do throws(PipelineError) {
                try write()
            } catch {
                self.failure.withLock { $0 = error }
            }
            self.done.store(true, ordering: .releasing)
        }
    }

    /// Blocks until the write in flight, if any, has returned; throws its error.
    func wait() throws(PipelineError) {
        guard started.exchange(false, ordering: .relaxed) else { return }
        // A serial queue runs sync work after every item queued before it: this returns once the write has.
        queue.sync {}
        let error = failure.withLock { stored in
            defer { stored = nil }
            return stored
        }
        if let error { throw error }
    }
}
