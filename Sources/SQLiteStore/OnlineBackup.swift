import CSQLite

/// One online backup in progress: owns one `sqlite3_backup*` (https://sqlite.org/backup.html,
/// https://sqlite.org/c3ref/backup_finish.html).
///
/// Copies `pagesPerStep` pages per `step()`; locks on the source are held only during a step, so
/// writers on other connections proceed between steps. Writes made through the source connection
/// itself are copied into the backup as they happen; writes from other connections make the next
/// step start over. Not thread-safe: used only where its source connection is.
final class OnlineBackup {
    /// The outcome of one step.
    enum Progress: Equatable {
        /// Every page is copied; call `finish()`.
        case done
        /// More pages remain.
        case more(remaining: Int, total: Int)
        /// The source or destination was locked; retry the step later.
        case busy
    }

    /// Thrown when a step stayed busy for longer than the caller's retry budget.
    static let busyError = SQLiteError.sqlite(
        operation: "sqlite3_backup_step", extendedCode: SQLITE_BUSY, message: "database is locked")

    private let handle: OpaquePointer
    private let source: Connection
    private let destination: Connection
    /// The destination's `sqlite3*`, valid until `finish()` closes `destination`.
    private let destinationHandle: OpaquePointer
    private let pagesPerStep: Int32
    private var finished = false

    /// Opens `destinationPath` (created if missing, rollback journal since the backup sets the
    /// page size) and starts the backup. Refuses a destination that already holds data.
    init(source: Connection, destinationPath: String, pagesPerStep: Int) throws(SQLiteError) {
        guard pagesPerStep > 0 else { throw .misuse("pagesPerStep must be positive") }
        let destination = try Connection(
            path: destinationPath,
            options: Connection.Options(access: .readWriteCreate, writeAheadLog: false, statementCacheCapacity: 4))
        let pages = try destination.fetchValue("PRAGMA page_count", as: Int64.self)
        guard pages == 0 else {
            throw .misuse("backup destination \(destinationPath) already holds a database")
        }
        let destinationHandle = try destination.openHandle()
        guard let backup = sqlite3_backup_init(destinationHandle, "main", try source.openHandle(), "main") else {
            // Failures of sqlite3_backup_init are reported on the destination connection.
            throw SQLiteError.from(
                destinationHandle, operation: "sqlite3_backup_init", code: sqlite3_extended_errcode(destinationHandle))
        }
        self.handle = backup
        self.source = source
        self.destination = destination
        self.destinationHandle = destinationHandle
        self.pagesPerStep = Int32(clamping: pagesPerStep)
    }

    /// An unfinished backup is abandoned (see `abandon()`).
    deinit { abandon() }

    /// Releases an unfinished backup after a failure was already reported. The result of
    /// sqlite3_backup_finish then only repeats that failure, and the backup object is freed
    /// whatever it returns (https://sqlite.org/c3ref/backup_finish.html#sqlite3backupfinish).
    func abandon() {
        guard !finished else { return }
        finished = true
        sqlite3_backup_finish(handle)
    }

    /// Copies up to `pagesPerStep` pages (https://sqlite.org/c3ref/backup_finish.html#sqlite3backupstep).
    func step() throws(SQLiteError) -> Progress {
        guard !finished else { throw .misuse("backup step after finish") }
        let rc = sqlite3_backup_step(handle, pagesPerStep)
        switch rc & 0xFF {
        case SQLITE_DONE:
            return .done
        case SQLITE_OK:
            return .more(remaining: Int(sqlite3_backup_remaining(handle)), total: Int(sqlite3_backup_pagecount(handle)))
        case SQLITE_BUSY, SQLITE_LOCKED:
            return .busy
        default:
            finished = true
            let error = SQLiteError.from(destinationHandle, operation: "sqlite3_backup_step", code: rc)
            sqlite3_backup_finish(handle)
            throw error
        }
    }

    /// Releases the backup and reports its overall result, then closes the destination.
    func finish() throws(SQLiteError) {
        guard !finished else { throw .misuse("backup finished twice") }
        finished = true
        let rc = sqlite3_backup_finish(handle)
        guard rc == SQLITE_OK else {
            throw SQLiteError.from(destinationHandle, operation: "sqlite3_backup_finish", code: rc)
        }
        try destination.close()
    }
}
