/// The prepared statements of one connection, keyed by SQL text, least recently used evicted.
///
/// Owned by a `Connection` and used only where it is. Statements are prepared with
/// `SQLITE_PREPARE_PERSISTENT` (https://sqlite.org/c3ref/c_prepare_normalize.html). A statement
/// that is in use (a query helper running the same SQL re-entrantly) is never handed out twice:
/// the caller gets a fresh, uncached one instead.
struct StatementCache {
    private struct Entry {
        let statement: Statement
        var lastUse: UInt64
    }

    let capacity: Int
    private var entries: [String: Entry] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int) { self.capacity = max(0, capacity) }

    /// Number of cached statements.
    var count: Int { entries.count }

    /// True when some cached statement is being used by a query helper right now.
    var hasStatementInUse: Bool { entries.values.contains { $0.statement.isInUse } }

    /// The cached statement for `sql` when free, otherwise a newly prepared one (cached if there
    /// is room or a free entry to evict). The statement is reset, its bindings cleared, and it is
    /// marked in use until `checkin(_:)`.
    mutating func checkout(_ sql: String, database: OpaquePointer) throws(SQLiteError) -> Statement {
        clock &+= 1
        if let entry = entries[sql], !entry.statement.isInUse {
            entries[sql]?.lastUse = clock
            entry.statement.reset()
            try entry.statement.clearBindings()
            entry.statement.isInUse = true
            return entry.statement
        }
        let cacheable = entries[sql] == nil && capacity > 0 && makeRoom()
        let statement = try Statement.prepareOne(database: database, sql: sql, persistent: cacheable)
        if cacheable { entries[sql] = Entry(statement: statement, lastUse: clock) }
        statement.isInUse = true
        return statement
    }

    /// Returns a statement after use: resets it so it holds no read transaction open and marks it
    /// free. Bindings are cleared by the caller after success (to drop large blobs early) and in
    /// any case by the next checkout.
    func checkin(_ statement: Statement) {
        statement.reset()
        statement.isInUse = false
    }

    /// Finalizes every cached statement (their deinit calls `sqlite3_finalize`).
    mutating func removeAll() {
        entries.removeAll()
    }

    /// Ensures there is room for one more entry, evicting the least recently used free one.
    /// Returns false when the cache is full of statements in use.
    private mutating func makeRoom() -> Bool {
        guard entries.count >= capacity else { return true }
        let victim = entries.filter { !$0.value.statement.isInUse }.min { $0.value.lastUse < $1.value.lastUse }
        guard let victim else { return false }
        entries[victim.key] = nil
        return true
    }
}
