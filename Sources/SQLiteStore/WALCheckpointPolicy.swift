/// When `WALCheckpointer` checkpoints, in frames of the write-ahead log (one page each;
/// https://sqlite.org/wal.html#ckpt).
public struct WALCheckpointPolicy: Sendable, Equatable {
    /// A commit that leaves at least this many frames in the log schedules a PASSIVE checkpoint
    /// in the background.
    public var passiveFrames: Int
    /// A log still this long after the passive pass gets a RESTART, so that writers start it
    /// again from the beginning instead of growing it.
    public var restartFrames: Int
    /// A commit that leaves at least this many frames waits for a RESTART before returning: the
    /// bound on the log when the background checkpoints fall behind the commits.
    public var blockingFrames: Int
    /// How long a RESTART waits for the writer and for readers of old frames before giving up
    /// until the next try; while it waits, commits wait too.
    public var restartWaitMilliseconds: Int32

    /// A policy; the thresholds must grow in that order.
    public init(passiveFrames: Int, restartFrames: Int, blockingFrames: Int, restartWaitMilliseconds: Int32 = 200) {
        self.passiveFrames = passiveFrames
        self.restartFrames = restartFrames
        self.blockingFrames = blockingFrames
        self.restartWaitMilliseconds = restartWaitMilliseconds
    }

    /// Throws `misuse` unless 1 ≤ passive ≤ restart ≤ blocking and the wait is not negative.
    func validate() throws(SQLiteError) {
        guard passiveFrames >= 1, passiveFrames <= restartFrames, restartFrames <= blockingFrames else {
            throw .misuse("WAL checkpoint thresholds must satisfy 1 <= passive <= restart <= blocking")
        }
        guard restartWaitMilliseconds >= 0 else { throw .misuse("restartWaitMilliseconds must not be negative") }
    }
}
