/// How a transaction takes its locks (https://sqlite.org/lang_transaction.html).
public enum TransactionKind: String, Sendable {
    /// Takes a read lock on the first read and a write lock on the first write.
    case deferred = "DEFERRED"
    /// Takes the write lock at BEGIN, so a later write cannot fail with SQLITE_BUSY half-way.
    case immediate = "IMMEDIATE"
    /// Like immediate; in WAL mode the two are the same.
    case exclusive = "EXCLUSIVE"
}

extension Connection {
    /// Runs `body` in a transaction: committed when `body` returns, rolled back when it throws
    /// (the error is rethrown).
    ///
    /// Nesting: called while a transaction is already open, this runs `body` in a SAVEPOINT
    /// inside it instead (https://sqlite.org/lang_savepoint.html); `kind` is then ignored, a throw
    /// rolls back to the savepoint only, and nothing is durable until the outer transaction commits.
    ///
    /// When COMMIT fails (e.g. `SQLITE_BUSY`) the transaction is rolled back and the COMMIT error
    /// thrown. When the rollback itself fails, its error is thrown instead of `body`'s, because the
    /// connection is then still inside a transaction.
    public func transaction<Result>(
        _ kind: TransactionKind = .deferred, _ body: (Connection) throws -> Result
    ) throws -> Result {
        if isInTransaction { return try savepoint(body) }
        try execute("BEGIN \(kind.rawValue)", [])
        let result: Result
        do {
            result = try body(self)
            try execute("COMMIT", [])
        } catch {
            try rollbackIfOpen()
            throw error
        }
        return result
    }

    private func savepoint<Result>(_ body: (Connection) throws -> Result) throws -> Result {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "coffre_savepoint_\(savepointDepth)"
        try execute("SAVEPOINT \(name)", [])
        let result: Result
        do {
            result = try body(self)
        } catch {
            // ROLLBACK TO keeps the savepoint on the stack; RELEASE then removes it.
            if isInTransaction {
                try execute("ROLLBACK TO \(name)", [])
                try execute("RELEASE \(name)", [])
            }
            throw error
        }
        try execute("RELEASE \(name)", [])
        return result
    }

    /// Some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY, SQLITE_NOMEM) may already have rolled
    /// the transaction back (https://sqlite.org/lang_transaction.html#response_to_errors_within_a_transaction);
    /// a second ROLLBACK would fail, so check first.
    private func rollbackIfOpen() throws(SQLiteError) {
        if isInTransaction { try execute("ROLLBACK", []) }
    }
}
