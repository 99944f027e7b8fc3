import CoffreProtocol
import SQLiteStore
import Synchronization

/// Group commit of upload rows: the `recordUploads` of uploads that finish while the writer is
/// busy share one write transaction and one log sync, where each had one of its own, one after
/// the other (192 parallel 4 MiB PUTs made 145–167 WAL syncs instead of 194 at load 11–22:
/// docs/performance.md, Sync API, "Group commit of upload rows").
///
/// The rule, as for the blob store's directory flushes (`FlushGroups`): **a caller returns only
/// after the transaction holding its rows has committed** (`synchronous=FULL`: the log is synced
/// before COMMIT returns), so an upload is still acknowledged only once its blob and its row are
/// durable. A request that arrives while a transaction runs waits for the next one, which one
/// write job on the writer queue runs for every request waiting when it starts. A lone upload
/// gets a transaction of its own at once (one task hop more than a direct write).
///
/// Each request runs in its own SAVEPOINT: one that fails the vault check (no write role, no
/// vault) is rolled back alone and fails alone. A SQLite error or a failed COMMIT fails every
/// request of the group and none of their rows stays (their blobs stay as unrecorded files,
/// which is what a failed upload always left: the client retries, GC collects).
final class UploadRecordGroups: Sendable {
    /// One upload's rows, as `SyncStore.recordUploads` takes them.
    struct Request: Sendable {
        let vault: VaultID
        let user: Int64
        let sizes: [BlobID: Int64]
        let inline: [BlobID: ArraySlice<UInt8>]
        let reservedBytes: Int64
        let now: Int64
    }

    private struct Waiting: Sendable {
        let request: Request
        let continuation: CheckedContinuation<Result<Set<BlobID>, SyncError>, Never>
    }

    /// The requests a write job took, shared between its body on the writer queue and the task
    /// that answers them.
    private final class TakenGroup: Sendable {
        let group = Mutex<[Waiting]?>(nil)
    }

    private struct State {
        var waiting: [Waiting] = []
        /// True from the moment a write job is queued until it takes the waiting requests.
        var scheduled = false
    }

    private let store: SyncStore
    private let state = Mutex(State())
    /// Transactions committed or failed so far, and the requests they held (for tests).
    private let counts = Mutex((groups: 0, requests: 0))

    /// Groups over `store`'s writer.
    init(store: SyncStore) {
        self.store = store
    }

    /// Groups run so far and the requests they held.
    var statistics: (groups: Int, requests: Int) { counts.withLock { $0 } }

    /// Requests waiting for a transaction that has not started yet.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// `SyncStore.recordUploads` through a shared transaction: records blobs whose bytes are
    /// durable in `vault` for `user` (write role), settles `reservedBytes` and returns the ids
    /// that were new, once the transaction holding them has committed.
    func record(
        _ vault: VaultID, user: Int64, _ blobs: [StoredBlob], inline: [BlobID: ArraySlice<UInt8>] = [:],
        reservedBytes: Int64
    ) async throws(SyncError) -> Set<BlobID> {
        var sizes: [BlobID: Int64] = [:]
        for blob in blobs { sizes[blob.id] = blob.size }
        guard sizes.count <= store.limits.maxMissingQueryIDs else {
            throw .invalidRequest("at most \(store.limits.maxMissingQueryIDs) blobs per request")
        }
        guard sizes.values.allSatisfy({ $0 >= 0 }), reservedBytes >= 0 else {
            throw .invalidRequest("a blob size cannot be negative")
        }
        let request = Request(
            vault: vault, user: user, sizes: sizes, inline: inline, reservedBytes: reservedBytes, now: store.clock.now())
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Set<BlobID>, SyncError>, Never>) in
            let schedule = state.withLock { state -> Bool in
                state.waiting.append(Waiting(request: request, continuation: continuation))
                guard !state.scheduled else { return false }
                state.scheduled = true
                return true
            }
            if schedule { Task { await self.runGroup() } }
        }
        return try result.get()
    }

    /// One write job: takes every waiting request when the writer starts it, records each in
    /// its own savepoint, and answers them all once the transaction has ended.
    private func runGroup() async {
        let taken = TakenGroup()
        let outcome: Result<[Result<Set<BlobID>, SyncError>], SyncError>
        do throws(SyncError) {
            let results = try await store.write { db in
                let group = self.takeWaiting()
                taken.group.withLock { $0 = group }
                return try group.map { waiting in try Self.record(waiting.request, in: db) }
            }
            outcome = .success(results)
        } catch {
            outcome = .failure(error)
        }
        // The body did not run when the writer refused the transaction (a writer fault): the
        // requests are still waiting and fail with that error.
        let group = taken.group.withLock { $0 } ?? takeWaiting()
        counts.withLock {
            $0.groups += 1
            $0.requests += group.count
        }
        switch outcome {
        case .success(let results):
            for (waiting, result) in zip(group, results) { waiting.continuation.resume(returning: result) }
        case .failure(let error):
            for waiting in group { waiting.continuation.resume(returning: .failure(error)) }
        }
    }

    /// Every waiting request; the next arrival queues a new write job.
    private func takeWaiting() -> [Waiting] {
        state.withLock { state in
            let group = state.waiting
            state.waiting = []
            state.scheduled = false
            return group
        }
    }

    /// One request in a savepoint of the group's transaction. A vault check that fails
    /// (`SyncError`) is that request's outcome; any other error ends the whole transaction.
    private static func record(_ request: Request, in db: Connection) throws -> Result<Set<BlobID>, SyncError> {
        do {
            return .success(
                try db.transaction { db in
                    let access = try VaultAccess.check(db, vault: request.vault, user: request.user, requiring: .write)
                    return try SyncStore.recordUploads(
                        db, vault: access.rowID, user: request.user, request.sizes, inline: request.inline,
                        reservedBytes: request.reservedBytes, now: request.now)
                })
        } catch let error as SyncError where db.isInTransaction {
            return .failure(error)
        }
    }
}
