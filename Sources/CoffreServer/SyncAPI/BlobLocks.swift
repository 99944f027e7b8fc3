import CoffreProtocol
import Synchronization

/// Serialises the steps that must not interleave on one blob of one vault: an upload's
/// "publish the file, then record the row" and garbage collection's "delete the row if still
/// unreferenced, then delete the file". Without it, a blob re-uploaded between GC's row
/// deletion and its file deletion would be recorded while its file disappears
/// (docs/sync-engine.md, "GC planning").
///
/// Waiting costs no thread: a waiter is a suspended continuation, resumed in FIFO order by the
/// holder's release. Callers that need several blobs take them in one call, which sorts the
/// keys, so two callers can never wait for each other in a cycle.
final class BlobLocks: Sendable {
    /// One blob of one vault.
    struct Key: Hashable, Sendable, Comparable {
        let vault: VaultID
        let blob: BlobID

        static func < (lhs: Key, rhs: Key) -> Bool {
            if lhs.vault != rhs.vault { return lhs.vault < rhs.vault }
            return lhs.blob.hex < rhs.blob.hex
        }
    }

    /// Held keys, each with the continuations waiting for it.
    private let held = Mutex<[Key: [CheckedContinuation<Void, Never>]]>([:])

    /// Runs `body` holding the locks of every key of `keys` (duplicates allowed).
    func withLocks<Result: Sendable>(
        _ keys: some Sequence<Key>, _ body: () async throws -> Result
    ) async throws -> Result {
        let ordered = Set(keys).sorted()
        for key in ordered { await acquire(key) }
        defer { for key in ordered.reversed() { release(key) } }
        return try await body()
    }

    /// Number of keys held right now (for tests).
    var heldCount: Int { held.withLock { $0.count } }

    private func acquire(_ key: Key) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let free = held.withLock { held -> Bool in
                guard held[key] != nil else {
                    held[key] = []
                    return true
                }
                held[key, default: []].append(continuation)
                return false
            }
            if free { continuation.resume() }
        }
    }

    /// Hands the key to the next waiter, or frees it.
    private func release(_ key: Key) {
        let next = held.withLock { held -> CheckedContinuation<Void, Never>? in
            guard var waiters = held[key] else { return nil }
            guard !waiters.isEmpty else {
                held[key] = nil
                return nil
            }
            let first = waiters.removeFirst()
            held[key] = waiters
            return first
        }
        next?.resume()
    }
}
