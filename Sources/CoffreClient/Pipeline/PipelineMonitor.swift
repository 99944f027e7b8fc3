import Foundation

/// One value shared by threads and tasks, with the two ways to wait for it to change: a thread
/// blocks on a condition variable, a task suspends on a continuation. Every `update` wakes both
/// kinds of waiter, and each re-checks what it waits for.
///
/// Waiting predicates may take what they wait for (a slot, a queued item), but must not make a
/// change that someone else waits on: only `update` wakes waiters.
///
/// `@unchecked Sendable`: `state` and `suspended` are read and written only while `condition` is
/// locked, and no continuation is resumed while it is locked.
final class PipelineMonitor<State>: @unchecked Sendable {
    private let condition = NSCondition()
    private var state: State
    private var suspended: [CheckedContinuation<Void, Never>] = []

    init(_ state: State) {
        self.state = state
    }

    /// Changes the state under the lock, then wakes every waiting thread and task.
    @discardableResult
    func update<R>(_ body: (inout State) -> R) -> R {
        condition.lock()
        let result = body(&state)
        let woken = suspended
        suspended.removeAll()
        condition.broadcast()
        condition.unlock()
        for continuation in woken { continuation.resume() }
        return result
    }

    /// Runs `take` once under the lock without waking anyone: one round of `wait`, for a
    /// caller that has other work to go on with when nothing is ready. Like a waiting
    /// predicate, `take` may take what it looks for but must not make a change that someone
    /// else waits on.
    ///
    /// A worker holding chunks asks for more between steps of its work; waking every waiter
    /// (the reader, the other workers, the consumer's task through its continuation) at each
    /// of those steps, when nothing they wait for had changed, cost about 600 futex calls and
    /// their hops per GiB sealed (docs/performance.md, "Sync client").
    func poll<R>(_ take: (inout State) -> R?) -> R? {
        condition.lock()
        defer { condition.unlock() }
        return take(&state)
    }

    /// Reads the state under the lock without waking anyone.
    func read<R>(_ body: (State) -> R) -> R {
        condition.lock()
        defer { condition.unlock() }
        return body(state)
    }

    /// Blocks the calling thread until `ready` returns a value. For the pipeline's own threads
    /// only: a task must use the `async` variant.
    func wait<R>(until ready: (inout State) -> R?) -> R {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result = ready(&state) { return result }
            condition.wait()
        }
    }

    /// Suspends the calling task until `ready` returns a value. `ready` runs in the task, so it
    /// may check `Task.isCancelled`; a cancellation handler then calls `update` to wake it.
    func wait<R>(until ready: (inout State) -> R?) async -> R {
        while true {
            var result: R?
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                condition.lock()
                if let value = ready(&state) {
                    result = value
                    condition.unlock()
                    continuation.resume()
                } else {
                    suspended.append(continuation)
                    condition.unlock()
                }
            }
            if let result { return result }
        }
    }
}
