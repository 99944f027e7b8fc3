import Dispatch

/// Shared access to one database file: one writer connection on a serial queue and a small pool
/// of read-only connections, each on its own serial queue. In WAL mode readers see the last
/// committed state and are not blocked by the writer (https://sqlite.org/wal.html#concurrency).
///
/// `write` runs its body in an IMMEDIATE transaction on the writer's queue; `read` runs its body
/// in a deferred transaction (one consistent snapshot) on a free reader's queue. Both come as a
/// blocking form for synchronous code and an `async` form that hands the work to Dispatch through
/// a continuation, so no Swift concurrency thread ever waits on SQLite.
///
/// `@unchecked Sendable` rule: the writer `Connection` and `writerFault` are touched only inside
/// blocks on `writerQueue`; each reader only inside blocks on its own queue while `ReaderPool` lends it to
/// exactly one caller. Connections never leave the closures they are passed to.
public final class DatabaseQueue: @unchecked Sendable {
    /// The database file.
    public let path: String

    let writer: Connection
    let writerQueue: DispatchQueue
    /// Set when the writer can no longer be trusted to commit as configured; every later write
    /// then fails with it (only read and written on `writerQueue`).
    var writerFault: SQLiteError?
    /// Checkpoints the log in the background when the queue was opened with a policy.
    public let checkpointer: WALCheckpointer?
    private let readers: ReaderPool
    /// Marks the writer queue and the reader queues, to refuse re-entrant use that would deadlock.
    private let writerKey = DispatchSpecificKey<Bool>()
    private let readerKey = DispatchSpecificKey<Bool>()

    /// Opens the writer (creating the file if `options.access` allows), applies `migrator`'s
    /// pending migrations, then opens `readerCount` read-only connections. With `checkpointing`,
    /// the log is checkpointed by a `WALCheckpointer` instead of by the commits themselves.
    ///
    /// Throws `SQLiteError` (e.g. `.databaseTooNew` from the migrator, or `isCorrupt` for a file
    /// that is not a database).
    public init(
        path: String, options: Connection.Options = Connection.Options(), readerCount: Int = 4,
        migrator: Migrator? = nil, checkpointing: WALCheckpointPolicy? = nil
    ) throws {
        guard options.access != .readOnly else {
            throw SQLiteError.misuse("DatabaseQueue needs a writable connection; open a Connection to read only")
        }
        guard (1...64).contains(readerCount) else { throw SQLiteError.misuse("readerCount must be 1...64") }
        let writer = try Connection(path: path, options: options)
        try migrator?.migrate(writer)
        if let checkpointing {
            let checkpointer = try WALCheckpointer(path: path, options: options, policy: checkpointing)
            try writer.onWALCommit { frames in checkpointer.walCommitted(frames: frames) }
            self.checkpointer = checkpointer
        } else {
            self.checkpointer = nil
        }

        var readerOptions = options
        readerOptions.access = .readOnly
        var pooled: [PooledReader] = []
        for index in 0..<readerCount {
            let queue = DispatchQueue(label: "coffre.sqlite.reader.\(index)")
            queue.setSpecific(key: readerKey, value: true)
            let connection = try Connection(path: path, options: readerOptions)
            pooled.append(PooledReader(connection: connection, queue: queue, index: index))
        }
        self.path = path
        self.writer = writer
        self.writerQueue = DispatchQueue(label: "coffre.sqlite.writer")
        self.readers = ReaderPool(readers: pooled)
        writerQueue.setSpecific(key: writerKey, value: true)
    }

    /// Runs `body` in an IMMEDIATE transaction on the writer, blocking the caller until it is done.
    /// Committed when `body` returns, rolled back when it throws. Calling `write` from inside
    /// `write` or `read` throws `SQLiteError.misuse` (see `refuseWriterWait`).
    @available(*, noasync, message: "blocks the calling thread; use the async overload")
    public func write<Result>(_ body: (Connection) throws -> Result) throws -> Result {
        try refuseWriterWait("write")
        return try writerQueue.sync { try writerTransaction(body) }
    }

    /// Runs `body` in a deferred transaction on a reader, blocking the caller until one is free
    /// and `body` is done. The connection is read-only: writes fail with `SQLITE_READONLY`.
    /// Calling `read` from inside `read` throws `SQLiteError.misuse`; from inside `write` it is
    /// allowed and sees the state before the write's transaction.
    @available(*, noasync, message: "blocks the calling thread; use the async overload")
    public func read<Result>(_ body: (Connection) throws -> Result) throws -> Result {
        guard DispatchQueue.getSpecific(key: readerKey) == nil else {
            throw SQLiteError.misuse("read called from inside read on the same database")
        }
        let reader = readers.borrowBlocking()
        defer { readers.giveBack(reader) }
        return try reader.queue.sync { try reader.connection.transaction(.deferred, body) }
    }

    /// An IMMEDIATE transaction on the writer, unless a fault made it unusable. Runs on
    /// `writerQueue`.
    func writerTransaction<Result>(_ body: (Connection) throws -> Result) throws -> Result {
        if let writerFault { throw writerFault }
        return try writer.transaction(.immediate, body)
    }

    /// Waiting for the writer queue is refused on the writer queue itself (a serial queue waiting
    /// on itself deadlocks) and on a reader queue: a writer body may wait for a reader, so a reader
    /// waiting for the writer could close a cycle. Reads inside writes stay allowed.
    func refuseWriterWait(_ operation: String) throws(SQLiteError) {
        if DispatchQueue.getSpecific(key: writerKey) != nil {
            throw .misuse("\(operation) called from inside write on the same database")
        }
        if DispatchQueue.getSpecific(key: readerKey) != nil {
            throw .misuse("\(operation) called from inside read on the same database")
        }
    }

    /// The async form of `write(_:)`: the body runs on the writer queue; the calling task is
    /// suspended, not blocked, meanwhile.
    public func write<Result: Sendable>(
        _ body: @escaping @Sendable (Connection) throws -> Result
    ) async throws -> Result {
        try await onWriterQueue { try self.writerTransaction(body) }
    }

    /// Runs `work` on the writer queue while the calling task is suspended.
    func onWriterQueue<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try Task.checkCancellation()
        return try await withCheckedThrowingContinuation { continuation in
            writerQueue.async { continuation.resume(with: Swift.Result { try work() }) }
        }
    }

    /// The async form of `read(_:)`: waits for a free reader without blocking a thread.
    public func read<Result: Sendable>(
        _ body: @escaping @Sendable (Connection) throws -> Result
    ) async throws -> Result {
        try Task.checkCancellation()
        return try await withCheckedThrowingContinuation { continuation in
            readers.borrow { reader in
                reader.queue.async {
                    let result = Swift.Result { try reader.connection.transaction(.deferred, body) }
                    self.readers.giveBack(reader)
                    continuation.resume(with: result)
                }
            }
        }
    }
}
