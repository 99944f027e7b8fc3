import CSQLite

/// Write-ahead log checkpoints driven by the caller instead of SQLite's automatic one
/// (https://sqlite.org/wal.html#ckpt).
extension Connection {
    /// How much a checkpoint may block others (https://sqlite.org/c3ref/wal_checkpoint_v2.html).
    public enum CheckpointMode: Sendable, Equatable {
        /// Copies what it can without waiting for readers or writers.
        case passive
        /// Waits (busy handler) for the writer and for readers of old frames, copies the whole
        /// log, and leaves it so that the next writer starts it again from the beginning.
        case restart

        var code: Int32 { self == .passive ? SQLITE_CHECKPOINT_PASSIVE : SQLITE_CHECKPOINT_RESTART }
    }

    /// What a checkpoint left behind.
    public struct CheckpointResult: Sendable, Equatable {
        /// Frames in the log when it ended.
        public var logFrames: Int
        /// Of those, frames copied into the database file.
        public var checkpointedFrames: Int
        /// False when the busy handler gave up (`SQLITE_BUSY`): the copy went as far as it could.
        public var completed: Bool
    }

    /// Runs a checkpoint of the main database in `mode`. `SQLITE_BUSY` is not an error here: the
    /// result says the checkpoint did not complete.
    public func checkpoint(_ mode: CheckpointMode) throws(SQLiteError) -> CheckpointResult {
        var logFrames: Int32 = 0
        var checkpointed: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(try openHandle(), "main", mode.code, &logFrames, &checkpointed)
        guard rc == SQLITE_OK || rc & 0xFF == SQLITE_BUSY else {
            throw SQLiteError.from(try openHandle(), operation: "sqlite3_wal_checkpoint_v2", code: rc)
        }
        return CheckpointResult(
            logFrames: Int(max(0, logFrames)), checkpointedFrames: Int(max(0, checkpointed)), completed: rc == SQLITE_OK)
    }

    /// Calls `handler` on this connection's thread after each commit, with the number of frames
    /// the log now holds. This replaces SQLite's automatic checkpoint, which uses the same hook
    /// (https://sqlite.org/c3ref/wal_hook.html): whoever registers a handler takes over
    /// checkpointing. The commit is done and its write lock released when the handler runs.
    public func onWALCommit(_ handler: @escaping (Int) -> Void) throws(SQLiteError) {
        let hook = WALCommitHook(handler: handler)
        sqlite3_wal_hook(
            try openHandle(),
            { context, _, _, frames in
                guard let context else { return SQLITE_OK }
                Unmanaged<WALCommitHook>.fromOpaque(context).takeUnretainedValue().handler(Int(frames))
                return SQLITE_OK
            }, Unmanaged.passUnretained(hook).toOpaque())
        walCommitHook = hook
    }
}

/// The handler of `Connection.onWALCommit(_:)`, owned by its connection.
final class WALCommitHook {
    let handler: (Int) -> Void

    init(handler: @escaping (Int) -> Void) { self.handler = handler }
}
