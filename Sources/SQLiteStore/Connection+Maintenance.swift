import CSQLite

/// Integrity checking and online backup of a single connection.
extension Connection {
    /// Runs `PRAGMA integrity_check(maxErrors)` (https://sqlite.org/pragma.html#pragma_integrity_check)
    /// and returns the problems found, at most `maxErrors`; an empty array means the file is sound.
    /// Damage bad enough to stop the check throws a `SQLiteError` whose `isCorrupt` is true.
    public func integrityCheck(maxErrors: Int = 100) throws(SQLiteError) -> [String] {
        guard maxErrors > 0 else { throw .misuse("maxErrors must be positive") }
        let lines = try fetchValues("PRAGMA integrity_check(\(maxErrors))", as: String.self)
        return lines == ["ok"] ? [] : lines
    }

    /// Copies this database into a new file at `path` with the online backup API
    /// (https://sqlite.org/backup.html), `pagesPerStep` pages at a time.
    ///
    /// The destination must not hold a database already. While another connection holds a lock
    /// the step is retried every 10 ms, up to `maxBusyRetries` times, then `SQLITE_BUSY` is thrown.
    /// On failure the destination may hold a partial copy and should be deleted. For a database
    /// shared through `DatabaseQueue`, use `DatabaseQueue.backup(to:)`, which lets writes run
    /// between steps.
    public func backup(to path: String, pagesPerStep: Int = 256, maxBusyRetries: Int = 500) throws(SQLiteError) {
        let backup = try OnlineBackup(source: self, destinationPath: path, pagesPerStep: pagesPerStep)
        var busyRetries = 0
        while true {
            switch try backup.step() {
            case .done:
                return try backup.finish()
            case .more:
                busyRetries = 0
            case .busy:
                busyRetries += 1
                guard busyRetries <= maxBusyRetries else { throw OnlineBackup.busyError }
                sqlite3_sleep(10)
            }
        }
    }
}
