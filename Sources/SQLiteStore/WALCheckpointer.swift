import Dispatch
import Synchronization

/// Checkpoints a database's write-ahead log from its own connection on its own queue, so that
/// a commit does not copy pages into the database file and fsync it before it can answer, as
/// SQLite's automatic checkpoint does (https://sqlite.org/wal.html#ckpt).
///
/// The writer reports the log's length after each commit (`walCommitted(frames:)`, from
/// `Connection.onWALCommit`). Past `passiveFrames` a PASSIVE checkpoint is scheduled (at most
/// one pending): it copies what no reader still needs and never blocks anyone. Under continuous
/// commits the log is never fully copied at the moment a writer could start it over, so once it
/// is still `restartFrames` long after the passive pass a RESTART follows, which waits for the
/// writer and readers (up to `restartWaitMilliseconds`) so the next commit starts the log from
/// the beginning. A commit that finds the log at `blockingFrames` runs that RESTART itself before
/// returning: the log stays bounded even when the background queue gets no CPU.
/// (https://sqlite.org/c3ref/wal_checkpoint_v2.html describes both modes.)
///
/// `@unchecked Sendable` rule: `connection` is used only inside blocks on `queue`; the other
/// mutable state is an `Atomic` and a `Mutex`.
public final class WALCheckpointer: @unchecked Sendable {
    /// What the checkpointer has done so far, for tests and metrics.
    public struct Statistics: Sendable, Equatable {
        /// PASSIVE checkpoints run.
        public var passive = 0
        /// RESTART checkpoints run.
        public var restarts = 0
        /// Of those, the ones a commit waited for (the log had reached `blockingFrames`).
        public var blockingRestarts = 0
        /// Checkpoints that ended busy (readers or the writer held on past the wait).
        public var busy = 0
        /// Checkpoints that failed with another error (the next commit tries again).
        public var failures = 0
        /// The longest log a commit reported, in frames.
        public var longestLog = 0
    }

    /// The thresholds.
    public let policy: WALCheckpointPolicy
    private let connection: Connection
    private let queue: DispatchQueue
    private let scheduled = Atomic<Bool>(false)
    private let counters = Mutex(Statistics())

    /// Opens a read-write connection to `path` (which must exist, in WAL mode) with `options`
    /// otherwise, waiting `policy.restartWaitMilliseconds` for locks.
    public init(path: String, options: Connection.Options, policy: WALCheckpointPolicy) throws(SQLiteError) {
        try policy.validate()
        var own = options
        own.access = .readWrite
        own.busyTimeoutMilliseconds = policy.restartWaitMilliseconds
        own.cacheSizeKibibytes = nil
        own.walAutocheckpointPages = nil
        connection = try Connection(path: path, options: own)
        self.policy = policy
        queue = DispatchQueue(label: "coffre.sqlite.checkpointer")
    }

    /// The counters so far.
    public var statistics: Statistics { counters.withLock { $0 } }

    /// Called by the writer after each commit with the log's length in frames.
    public func walCommitted(frames: Int) {
        counters.withLock { $0.longestLog = max($0.longestLog, frames) }
        if frames >= policy.blockingFrames {
            queue.sync { run(restart: true, blocking: true) }
        } else if frames >= policy.passiveFrames,
            scheduled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        {
            queue.async {
                self.scheduled.store(false, ordering: .releasing)
                self.run(restart: false, blocking: false)
            }
        }
    }

    /// Waits until the checkpoints scheduled so far have run.
    public func waitUntilIdle() {
        queue.sync {}
    }

    /// A PASSIVE pass, then a RESTART when asked or when the log is still too long.
    private func run(restart: Bool, blocking: Bool) {
        do {
            let passive = try connection.checkpoint(.passive)
            record { $0.passive += 1; if !passive.completed { $0.busy += 1 } }
            guard restart || passive.logFrames >= policy.restartFrames else { return }
            let restarted = try connection.checkpoint(.restart)
            record {
                $0.restarts += 1
                if blocking { $0.blockingRestarts += 1 }
                if !restarted.completed { $0.busy += 1 }
            }
        } catch {
            record { $0.failures += 1 }
        }
    }

    private func record(_ change: (inout Statistics) -> Void) {
        counters.withLock { change(&$0) }
    }
}
