/// SQLiteStore: SQLite through its C API — a `Connection` (one `sqlite3*`), prepared
/// `Statement`s, typed errors carrying `sqlite3_errmsg`, transactions, numbered migrations
/// tracked with `PRAGMA user_version`, WAL, and serial-queue ownership of every connection.
public enum SQLiteStore {}
