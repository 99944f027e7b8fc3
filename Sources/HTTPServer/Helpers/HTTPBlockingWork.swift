import Dispatch

/// Runs blocking or CPU-heavy work off the event loop and off Swift's cooperative pool.
///
/// Handlers run on their connection's event-loop thread (the loop is their task executor), so a
/// handler that calls `fsync`, hashes a large buffer or waits on a lock would stall every other
/// connection of that loop. Such work goes through `run`, which executes it on a Dispatch queue
/// and resumes the handler on its loop with the result.
public enum HTTPBlockingWork {
    private static let queue = DispatchQueue(label: "coffre.http.blocking", qos: .userInitiated, attributes: .concurrent)

    /// Runs `body` on the blocking-work queue and returns (or throws) what it returned.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await run(on: queue, body)
    }

    /// Runs `body` on `queue` instead. The blocking-work queue runs on Dispatch's global pool,
    /// which on Linux keeps about one thread per core: work that mostly waits for the disk and
    /// must overlap with more of its kind goes to a serial queue of its own, which libdispatch
    /// serves from its overcommit pool at once (docs/architecture.md).
    public static func run<T: Sendable>(on queue: DispatchQueue, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withUnsafeThrowingContinuation { continuation in
            queue.async {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
        }
    }
}
