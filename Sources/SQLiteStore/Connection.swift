import CSQLite

/// One SQLite database connection: owns one `sqlite3*` (https://sqlite.org/c3ref/sqlite3.html).
///
/// Not thread-safe and not `Sendable`: a connection is used by one thread at a time, which
/// `DatabaseQueue` guarantees by giving each connection its own serial queue. Opening applies the
/// pragmas of `Options` (WAL, `synchronous`, `foreign_keys`, busy timeout, defensive mode) and
/// fails with a clear `SQLiteError` on a file that is not a database.
public final class Connection {
    /// The file this connection opened.
    public let path: String
    /// The options it was opened with.
    public let options: Options

    /// `nil` once `close()` succeeded.
    private var handle: OpaquePointer?
    var statementCache: StatementCache
    /// Depth of `transaction` calls nested inside an outer transaction (savepoints).
    var savepointDepth = 0
    /// The handler `onWALCommit(_:)` registered; SQLite holds an unretained pointer to it, so it
    /// lives as long as the connection.
    var walCommitHook: WALCommitHook?

    /// Opens (or creates, per `options.access`) the database at `path` and applies `options`.
    public init(path: String, options: Options = Options()) throws(SQLiteError) {
        _ = SQLiteLibrary.configured
        var database: OpaquePointer?
        let rc = sqlite3_open_v2(path, &database, options.openFlags, nil)
        guard rc == SQLITE_OK, let database else {
            let error = SQLiteError.from(database, operation: "sqlite3_open_v2", code: rc)
            // A handle is returned even on failure and must still be closed
            // (https://sqlite.org/c3ref/open.html).
            sqlite3_close_v2(database)
            throw error
        }
        self.path = path
        self.options = options
        self.handle = database
        self.statementCache = StatementCache(capacity: options.statementCacheCapacity)
        // On failure from here on, deinit closes the handle.
        try configure(options)
    }

    /// `sqlite3_close_v2` defers the close while user-held statements remain, so their
    /// `sqlite3*` stays valid until the last one is finalized (https://sqlite.org/c3ref/close.html).
    deinit {
        statementCache.removeAll()
        if let handle { sqlite3_close_v2(handle) }
    }

    /// Closes the connection after finalizing the cached statements. Throws (and stays open)
    /// when a query helper is running or a statement from `prepare(_:)` is still alive.
    public func close() throws(SQLiteError) {
        guard let database = handle else { return }
        guard !statementCache.hasStatementInUse else {
            throw .misuse("close() called while a query on this connection is running")
        }
        statementCache.removeAll()
        // sqlite3_close (not _v2) answers SQLITE_BUSY while statements are unfinalized.
        try check(sqlite3_close(database), "sqlite3_close")
        handle = nil
    }

    /// True until `close()` succeeds.
    public var isOpen: Bool { handle != nil }

    /// Runs a script of zero or more SQL statements, in order, stopping at the first error.
    /// A script takes no arguments: a statement with a parameter is refused, where `sqlite3_exec`
    /// would silently bind NULL to it. Use `execute(_:_:)` for anything with values.
    public func execute(_ script: String) throws(SQLiteError) {
        guard !script.utf8.contains(0) else { throw .misuse("SQL text contains a NUL byte") }
        let database = try openHandle()
        var failure: SQLiteError?
        script.withCString { text in
            var next: UnsafePointer<CChar>? = text
            do throws(SQLiteError) {
                while let current = next {
                    let (statement, tail) = try Statement.prepareFirst(
                        database: database, text: current, persistent: false)
                    guard tail != current else { break }
                    next = tail
                    guard let statement else { continue }
                    guard statement.parameterCount == 0 else {
                        throw .misuse("a script takes no parameters; use execute(_:_:) for \(statement.sql)")
                    }
                    while try statement.step() {}
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Prepares one statement, owned by the caller and not cached. Finalized when released.
    public func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        try Statement.prepareOne(database: try openHandle(), sql: sql, persistent: false)
    }

    /// The rowid of the most recent successful INSERT (https://sqlite.org/c3ref/last_insert_rowid.html).
    public var lastInsertRowID: Int64 {
        get throws(SQLiteError) { sqlite3_last_insert_rowid(try openHandle()) }
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE (https://sqlite.org/c3ref/changes.html).
    public var changes: Int {
        get throws(SQLiteError) { Int(sqlite3_changes64(try openHandle())) }
    }

    /// True while a transaction is open (`sqlite3_get_autocommit` is 0,
    /// https://sqlite.org/c3ref/get_autocommit.html).
    public var isInTransaction: Bool {
        guard let handle else { return false }
        return sqlite3_get_autocommit(handle) == 0
    }

    /// The open handle, or a misuse error after `close()`.
    func openHandle() throws(SQLiteError) -> OpaquePointer {
        guard let handle else { throw .misuse("the connection to \(path) is closed") }
        return handle
    }

    /// Throws the connection's error when `rc` is not `SQLITE_OK`.
    func check(_ rc: Int32, _ operation: String) throws(SQLiteError) {
        guard rc == SQLITE_OK else { throw SQLiteError.from(handle, operation: operation, code: rc) }
    }
}
