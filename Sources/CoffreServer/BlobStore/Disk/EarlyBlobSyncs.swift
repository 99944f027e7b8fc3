import CoffreProtocol
import Dispatch
import Synchronization

/// The durability work of a batch's large blobs started as each one ends, so that it overlaps
/// receiving the batch's next blobs instead of following the body's last byte
/// (`DiskBlobBatch`): the temp file's fsync and the blob's fan-out directories (each durable in
/// its parent, `DiskBlobStore.makeDirectories`).
///
/// Neither step names the blob anywhere: a temp file synced for nothing is removed like any
/// other, and a fan-out directory made for a blob that is then not published is an empty
/// directory of the layout, which readers, fsck and GC already meet after deletions. The
/// rename that makes the blob visible stays in `DiskBlobBatch.publish`, after `wait`.
///
/// A failed fsync is kept as the blob's outcome and never retried: after a failed fsync(2)
/// Linux may mark the dirty pages clean, so a second call can succeed without the bytes being
/// on disk.
final class EarlyBlobSyncs: Sendable {
    /// What became of one blob's early work.
    enum Outcome: Sendable {
        /// The file's bytes are durable and its directories exist, durable in their parents.
        case durable
        /// The step failed with this error; the blob must not be published.
        case failed(BlobStoreError)
    }

    /// Blobs whose work may run at once; the ones ending while this many run are left to
    /// `DiskBlobBatch.publish`, so a batch of many blobs holds few threads.
    static let width = 8

    private struct State {
        var running = 0
        var outcomes: [BlobID: Outcome] = [:]
    }

    private let store: DiskBlobStore
    private let namespace: BlobNamespace
    private let group = DispatchGroup()
    private let state = Mutex(State())

    /// Early work for blobs of `namespace` in `store`.
    init(store: DiskBlobStore, namespace: BlobNamespace) {
        self.store = store
        self.namespace = namespace
    }

    /// Starts the work for blob `id`, whose verified bytes are all written to `file`, unless
    /// `width` blobs are being worked on. Returns whether it started.
    @discardableResult
    func start(id: BlobID, file: FileDescriptor) -> Bool {
        let started = state.withLock { (state: inout State) -> Bool in
            guard state.running < Self.width, state.outcomes[id] == nil else { return false }
            state.running += 1
            return true
        }
        guard started else { return false }
        DispatchQueue.global(qos: .userInitiated).async(group: group) {
            let outcome: Outcome
            do throws(BlobStoreError) {
                try file.sync(operation: "fsync a batch file")
                _ = try self.store.makeDirectories(namespace: self.namespace, id: id)
                outcome = .durable
            } catch {
                outcome = .failed(error)
            }
            self.state.withLock { state in
                state.running -= 1
                state.outcomes[id] = outcome
            }
        }
        return true
    }

    /// Waits until every piece of work started has ended and returns the outcome of each blob
    /// it was started for; blobs absent from the result had none.
    func wait() -> [BlobID: Outcome] {
        group.wait()
        return state.withLock { $0.outcomes }
    }
}
