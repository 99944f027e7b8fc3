import CSQLite

/// SQLite's process-wide configuration, applied once, before the first connection opens.
enum SQLiteLibrary {
    /// Memory statistics off (`SQLITE_CONFIG_MEMSTATUS`): nothing here reads them
    /// (`sqlite3_memory_used`, soft heap limits), and keeping them takes a global mutex on every
    /// SQLite allocation, which a commit of 1,000 entries makes by the thousand. Swift runs this
    /// initializer once, thread-safely; SQLite must not be initialized yet, so `Connection.init`
    /// touches it before `sqlite3_open_v2`. A result other than `SQLITE_OK` (something else in
    /// the process initialized SQLite first) only leaves the statistics on.
    static let configured: Int32 = coffre_sqlite_disable_memory_statistics()
}
