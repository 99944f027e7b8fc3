/// Typed query helpers. Each runs one statement from the connection's statement cache, binds
/// the arguments (their count must match the statement's parameters), and resets the statement
/// afterwards so no read transaction stays open.
extension Connection {
    /// Runs one statement with positional arguments, discarding any rows:
    /// `try db.execute("INSERT INTO t(a, b) VALUES (?, ?)", [name, blob])`.
    public func execute(_ sql: String, _ arguments: StatementArguments) throws(SQLiteError) {
        try withCachedStatement(sql) { statement throws(SQLiteError) in
            try statement.bind(arguments)
            while try statement.step() {}
        }
    }

    /// Runs one statement with named arguments (`[":id": id]`), discarding any rows.
    public func execute(_ sql: String, named arguments: [String: (any SQLiteValueConvertible)?]) throws(SQLiteError) {
        try withCachedStatement(sql) { statement throws(SQLiteError) in
            try statement.bind(named: arguments)
            while try statement.step() {}
        }
    }

    /// Calls `body` for every result row. `body` may throw any error; the statement is reset
    /// either way. A `Row` is valid only inside the call that received it.
    public func query(_ sql: String, _ arguments: StatementArguments = [], _ body: (Row) throws -> Void) throws {
        try withStatement(sql) { statement in
            try statement.bind(arguments)
            try statement.forEachRow(body)
        }
    }

    /// Maps every result row with `transform`, which may throw any error.
    public func fetchAll<T>(
        _ sql: String, _ arguments: StatementArguments = [], _ transform: (Row) throws -> T
    ) throws -> [T] {
        var results: [T] = []
        try query(sql, arguments) { row in results.append(try transform(row)) }
        return results
    }

    /// Maps the first result row with `transform`; `nil` when there is none. Later rows are not read.
    public func fetchOne<T>(
        _ sql: String, _ arguments: StatementArguments = [], _ transform: (Row) throws -> T
    ) throws -> T? {
        let statement = try statementCache.checkout(sql, database: try openHandle())
        let result: T?
        do {
            try statement.bind(arguments)
            result = try statement.step() ? transform(Row(statement: statement, generation: statement.generation)) : nil
        } catch {
            statementCache.checkin(statement)
            throw error
        }
        statementCache.checkin(statement)
        try statement.clearBindings()
        return result
    }

    /// The first column of the first row as `T`, or `nil` when there is no row:
    /// `try db.fetchValue("SELECT count(*) FROM users", as: Int.self)`.
    public func fetchValue<T: SQLiteValueConvertible>(
        _ sql: String, _ arguments: StatementArguments = [], as type: T.Type = T.self
    ) throws(SQLiteError) -> T? {
        try withCachedStatement(sql) { statement throws(SQLiteError) -> T? in
            try statement.bind(arguments)
            guard try statement.step() else { return nil }
            return try T.read(from: Row(statement: statement, generation: statement.generation), at: 0)
        }
    }

    /// The first column of every row as `T`.
    public func fetchValues<T: SQLiteValueConvertible>(
        _ sql: String, _ arguments: StatementArguments = [], as type: T.Type = T.self
    ) throws(SQLiteError) -> [T] {
        try withCachedStatement(sql) { statement throws(SQLiteError) -> [T] in
            try statement.bind(arguments)
            var values: [T] = []
            while try statement.step() {
                values.append(try T.read(from: Row(statement: statement, generation: statement.generation), at: 0))
            }
            return values
        }
    }

    /// Runs `body` with the connection's cached statement for `sql`: prepared on first use
    /// (`SQLITE_PREPARE_PERSISTENT`), then reset and its bindings cleared for each later call,
    /// so SQL run on every request or stepped once per row of a batch is parsed once per
    /// connection. `body` binds and steps it and may throw any error; the statement is reset
    /// either way and must not be kept past `body`.
    public func withStatement<R>(_ sql: String, _ body: (Statement) throws -> R) throws -> R {
        try withCachedStatement(sql) { statement throws(SQLiteError) in Result { try body(statement) } }.get()
    }

    /// Number of statements in the statement cache.
    var cachedStatementCount: Int { statementCache.count }

    /// Checks a statement out of the cache for `body` and returns it afterwards.
    func withCachedStatement<R>(
        _ sql: String, _ body: (Statement) throws(SQLiteError) -> R
    ) throws(SQLiteError) -> R {
        let statement = try statementCache.checkout(sql, database: try openHandle())
        let result: R
        do {
            result = try body(statement)
        } catch {
            statementCache.checkin(statement)
            throw error
        }
        statementCache.checkin(statement)
        // Drops the copies of large text and blob arguments now rather than at the next use.
        try statement.clearBindings()
        return result
    }
}
