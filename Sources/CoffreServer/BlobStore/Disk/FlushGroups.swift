import Dispatch
import Synchronization

/// Group commit of fsyncs, per key (a directory of the store): callers that ask for the same
/// key while a flush of it runs share the next flush instead of running one each.
///
/// The rule callers rely on: `flush` returns only after a flush of its key that *started after
/// `flush` was called* has ended. Whatever the caller did to the directory before calling
/// (a rename into it, a mkdir in it) is therefore covered: fsync(2) makes durable every change
/// made to the file before the call. A caller arriving while a flush runs is not covered by
/// that one (its change may have come after the fsync began), so it waits for the next, which
/// one of the waiting callers runs for all of them. A failed flush fails every caller it was
/// meant to cover.
final class FlushGroups: Sendable {
    /// One caller waiting for a flush.
    ///
    /// `@unchecked Sendable`: `outcome` is written once, by the leader that then signals
    /// `ready`, and only after the waiter left the mutex-guarded list; the waiting thread reads
    /// it only after `ready.wait()` returns, and the semaphore orders the write before the read.
    private final class Waiter: @unchecked Sendable {
        enum Outcome {
            /// Run the next flush, for itself and `followers`.
            case lead(followers: [Waiter])
            /// A flush that covers this caller ended, with this error if it failed.
            case done(BlobStoreError?)
        }

        let ready = DispatchSemaphore(value: 0)
        var outcome: Outcome?
    }

    /// The flush in progress for one key and the callers that arrived during it.
    private struct Group {
        var waiting: [Waiter] = []
    }

    /// Keys with a flush in progress; a key without one has no entry.
    private let groups = Mutex<[String: Group]>([:])

    /// Runs `body` (an fsync of the directory `key` names) or waits for a flush of `key` by
    /// another caller, and returns once a flush that started after this call has ended.
    /// Throws the error of that flush.
    func flush(_ key: String, _ body: () throws(BlobStoreError) -> Void) throws(BlobStoreError) {
        let waiter: Waiter? = groups.withLock { groups in
            guard groups[key] != nil else {
                groups[key] = Group()
                return nil
            }
            let waiter = Waiter()
            groups[key]!.waiting.append(waiter)
            return waiter
        }
        var followers: [Waiter] = []
        if let waiter {
            waiter.ready.wait()
            switch waiter.outcome {
            case .done(let error):
                if let error { throw error }
                return
            case .lead(let others):
                followers = others
            case nil:
                preconditionFailure("a flush waiter was woken without an outcome")
            }
        }
        try lead(key, followers: followers, body)
    }

    /// Runs one flush for the caller and `followers` (all arrived before it starts), then hands
    /// the key to the first caller that arrived during it, or releases the key.
    private func lead(_ key: String, followers: [Waiter], _ body: () throws(BlobStoreError) -> Void) throws(BlobStoreError) {
        var failure: BlobStoreError?
        do throws(BlobStoreError) { try body() } catch { failure = error }
        let arrived: [Waiter] = groups.withLock { groups in
            let arrived = groups[key]?.waiting ?? []
            if arrived.isEmpty { groups[key] = nil } else { groups[key]!.waiting = [] }
            return arrived
        }
        for follower in followers {
            follower.outcome = .done(failure)
            follower.ready.signal()
        }
        if let next = arrived.first {
            next.outcome = .lead(followers: Array(arrived.dropFirst()))
            next.ready.signal()
        }
        if let failure { throw failure }
    }
}

extension FlushGroups {
    /// Callers waiting for the next flush of `key` (0 when none runs): what tests observe to
    /// know a caller is queued.
    func waitingCount(_ key: String) -> Int {
        groups.withLock { $0[key]?.waiting.count ?? 0 }
    }
}
