import Dispatch
import Synchronization

/// Blocking work put on a serial queue at once and awaited later: an upload's writes go to
/// their queue in the order they are made (an unstructured task per write would reach the
/// queue in whatever order the tasks start), while the upload goes on receiving.
final class QueuedWrite: Sendable {
    private struct State {
        var result: Result<Void, any Error>?
        var waiter: UnsafeContinuation<Void, any Error>?
    }

    private let state = Mutex(State())

    /// Puts `body` on `queue` now.
    init(on queue: DispatchQueue, _ body: @escaping @Sendable () throws -> Void) {
        queue.async { [self] in
            let result = Result { try body() }
            let waiter = state.withLock { state -> UnsafeContinuation<Void, any Error>? in
                state.result = result
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(with: result)
        }
    }

    /// Waits for the work to end; throws what it threw (again on a later call).
    func value() async throws {
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            let done = state.withLock { state -> Result<Void, any Error>? in
                if state.result == nil { state.waiter = continuation }
                return state.result
            }
            if let done { continuation.resume(with: done) }
        }
    }
}
