import Dispatch
import Synchronization

/// Runs many blocking calls — fsync(2) of downloads and of their folders — side by side, each
/// worker on a thread of its own, and hands back every call's own result.
///
/// A journaling file system (ext4, XFS) commits the fsyncs that wait at the same time in one
/// journal transaction, so N files synced side by side cost about one commit rather than N.
/// That needs the calls really in flight together, beyond the number of cores: the cooperative
/// pool has one thread per core, and a concurrent Dispatch queue promises no particular width.
/// Each worker here gets a serial queue of its own, which libdispatch serves from its
/// overcommit pool (a thread per busy queue, reused between calls; `ConcurrentFileSyncsTests`
/// checks the width). The server's `ConcurrentSyncs` does the same for its
/// blob store but stops at the first error; a download's fsync failing must fail that download
/// only, so here every item gets its result.
enum ConcurrentFileSyncs {
    /// Runs `body` for every item, at most `width` at once; the results in the items' order.
    /// Returns once every call has ended (a blocking call cannot be interrupted, so
    /// cancellation waits for the calls in flight and is the caller's to check afterwards).
    static func run<Item: Sendable, Output: Sendable>(
        _ items: [Item], width: Int, _ body: @escaping @Sendable (Item) -> Output
    ) async -> [Output] {
        guard !items.isEmpty else { return [] }
        // Even one call goes to a worker: a blocking call never runs on the caller's thread,
        // which belongs to the cooperative pool.
        let workers = min(max(1, width), items.count)
        let shared = Shared<Output>(count: items.count, workers: workers)
        return await withCheckedContinuation { (continuation: CheckedContinuation<[Output], Never>) in
            for worker in 0..<workers {
                DispatchQueue(label: "coffre.sync.fsync.\(worker)", qos: .userInitiated).async {
                    while true {
                        let index = shared.next.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard index < items.count else { break }
                        let output = body(items[index])
                        shared.results.withLock { $0[index] = output }
                    }
                    if let done = shared.workerEnded() { continuation.resume(returning: done) }
                }
            }
        }
    }

    /// What the workers of one `run` share.
    private final class Shared<Output: Sendable>: Sendable {
        let next = Atomic<Int>(0)
        let results: Mutex<[Output?]>
        private let running: Mutex<Int>

        init(count: Int, workers: Int) {
            results = Mutex([Output?](repeating: nil, count: count))
            running = Mutex(workers)
        }

        /// Called by each worker as it ends; the results for the last one (every slot is
        /// filled by then: a worker stops only when no index is left to take).
        func workerEnded() -> [Output]? {
            let isLast = running.withLock { count in
                count -= 1
                return count == 0
            }
            guard isLast else { return nil }
            return results.withLock { $0.map { $0! } }
        }
    }
}
