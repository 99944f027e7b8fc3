import CSQLite

/// One prepared statement: owns one `sqlite3_stmt*` (https://sqlite.org/c3ref/stmt.html).
///
/// Not thread-safe and not `Sendable`: a statement is used only where its `Connection` is.
/// Parameters are 1-based, columns 0-based, as in the C API. Obtain one from
/// `Connection.prepare(_:)`; the query helpers on `Connection` use a per-connection cache instead.
public final class Statement {
    let handle: OpaquePointer
    /// The connection's `sqlite3*`, for error text. It stays valid while this statement exists:
    /// `Connection.close()` uses `sqlite3_close`, which refuses while statements are unfinalized,
    /// and the connection's deinit uses `sqlite3_close_v2`, which keeps a "zombie" handle alive
    /// until the last statement is finalized (https://sqlite.org/c3ref/close.html).
    let database: OpaquePointer
    /// The SQL text this statement was prepared from.
    public let sql: String
    /// Number of result columns (`sqlite3_column_count`).
    public let columnCount: Int
    /// Number of parameters, i.e. the largest parameter index (`sqlite3_bind_parameter_count`).
    public let parameterCount: Int

    /// Bumped by every step and reset so that a `Row` taken before can tell it went stale.
    private(set) var generation: UInt64 = 0
    /// True while the last `step()` returned a row.
    private(set) var hasRow = false
    /// Set by the connection's statement cache while a query helper is using this statement.
    var isInUse = false
    private var columnIndexByName: [String: Int]?

    /// Prepares exactly one SQL statement with `sqlite3_prepare_v3`
    /// (https://sqlite.org/c3ref/prepare.html). Text after the first statement must be only
    /// whitespace or comments; anything else is refused rather than silently ignored.
    static func prepareOne(database: OpaquePointer, sql: String, persistent: Bool) throws(SQLiteError) -> Statement {
        guard !sql.utf8.contains(0) else { throw .misuse("SQL text contains a NUL byte") }
        var result: Result<(Statement?, Bool), SQLiteError> = .success((nil, false))
        sql.withCString { text in
            result = Result { () throws(SQLiteError) -> (Statement?, Bool) in
                let (statement, tail) = try prepareFirst(database: database, text: text, persistent: persistent)
                guard statement != nil else { return (nil, false) }
                // Prepare the rest: a statement there means the caller passed a script.
                var next = tail
                while let current = next {
                    let (following, rest) = try prepareFirst(database: database, text: current, persistent: false)
                    if following != nil { return (statement, true) }
                    guard rest != current else { break }
                    next = rest
                }
                return (statement, false)
            }
        }
        let (statement, trailing) = try result.get()
        guard let statement else { throw .misuse("the SQL text holds no statement") }
        guard !trailing else {
            throw .misuse("the SQL text holds more than one statement; use execute(_:) for scripts")
        }
        return statement
    }

    /// Prepares the first statement of the NUL-terminated `text`. Returns `nil` for a statement
    /// when `text` holds only whitespace or comments, and the rest of the text when there is any.
    static func prepareFirst(
        database: OpaquePointer, text: UnsafePointer<CChar>, persistent: Bool
    ) throws(SQLiteError) -> (statement: Statement?, tail: UnsafePointer<CChar>?) {
        var handle: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let flags = UInt32(persistent ? SQLITE_PREPARE_PERSISTENT : 0)
        let rc = sqlite3_prepare_v3(database, text, -1, flags, &handle, &tail)
        guard rc == SQLITE_OK else {
            let error = SQLiteError.from(database, operation: "sqlite3_prepare_v3", code: rc)
            sqlite3_finalize(handle)
            throw error
        }
        let rest = tail.flatMap { $0.pointee == 0 ? nil : $0 }
        guard let handle else { return (nil, rest) }
        let sql = rest.map { String(decoding: UnsafeRawBufferPointer(start: text, count: $0 - text), as: UTF8.self) }
            ?? String(cString: text)
        return (Statement(handle: handle, database: database, sql: sql), rest)
    }

    private init(handle: OpaquePointer, database: OpaquePointer, sql: String) {
        self.handle = handle
        self.database = database
        self.sql = sql
        self.columnCount = Int(sqlite3_column_count(handle))
        self.parameterCount = Int(sqlite3_bind_parameter_count(handle))
    }

    /// sqlite3_finalize returns the error of the last step, already reported by `step()`; it
    /// always releases the statement (https://sqlite.org/c3ref/finalize.html).
    deinit { sqlite3_finalize(handle) }

    /// Runs one step. Returns `true` when a row is available, `false` when the statement is done
    /// (https://sqlite.org/c3ref/step.html).
    public func step() throws(SQLiteError) -> Bool {
        generation &+= 1
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW:
            hasRow = true
            return true
        case SQLITE_DONE:
            hasRow = false
            return false
        default:
            hasRow = false
            throw SQLiteError.from(database, operation: "sqlite3_step", code: rc)
        }
    }

    /// Rewinds the statement so it can run again; bindings are kept. The result code of
    /// `sqlite3_reset` repeats the error of the last failed step, which `step()` already threw
    /// (https://sqlite.org/c3ref/reset.html), so it is not reported a second time.
    public func reset() {
        generation &+= 1
        hasRow = false
        _ = sqlite3_reset(handle)
    }

    /// Sets every parameter back to NULL (https://sqlite.org/c3ref/clear_bindings.html).
    public func clearBindings() throws(SQLiteError) {
        try check(sqlite3_clear_bindings(handle), "sqlite3_clear_bindings")
    }

    /// The row the last `step()` produced, or `nil` when it produced none.
    public var currentRow: Row? { hasRow ? Row(statement: self, generation: generation) : nil }

    /// Steps through every remaining row, calling `body` with each. A `Row` is valid only inside
    /// the call that received it.
    public func forEachRow(_ body: (Row) throws -> Void) throws {
        while try step() {
            try body(Row(statement: self, generation: generation))
        }
    }

    /// The name of result column `index` (`sqlite3_column_name`).
    public func columnName(at index: Int) throws(SQLiteError) -> String {
        let column = try columnIndex(index)
        guard let name = sqlite3_column_name(handle, column) else {
            throw .sqlite(operation: "sqlite3_column_name", extendedCode: SQLITE_NOMEM, message: "out of memory")
        }
        return String(cString: name)
    }

    /// The 0-based index of the result column called `name` (exact match; the first of
    /// duplicate names wins).
    public func columnIndex(named name: String) throws(SQLiteError) -> Int {
        if columnIndexByName == nil {
            var map: [String: Int] = [:]
            for index in 0..<columnCount {
                let label = try columnName(at: index)
                if map[label] == nil { map[label] = index }
            }
            columnIndexByName = map
        }
        guard let index = columnIndexByName?[name] else { throw .misuse("no result column named \(name)") }
        return index
    }

    /// Validates a 0-based column index against `columnCount`; SQLite leaves out-of-range
    /// column reads undefined (https://sqlite.org/c3ref/column_blob.html).
    func columnIndex(_ index: Int) throws(SQLiteError) -> Int32 {
        guard index >= 0, index < columnCount else {
            throw .misuse("column index \(index) out of range 0..<\(columnCount)")
        }
        return Int32(index)
    }

    /// Throws the connection's error when `rc` is not `SQLITE_OK`.
    func check(_ rc: Int32, _ operation: String) throws(SQLiteError) {
        guard rc == SQLITE_OK else { throw SQLiteError.from(database, operation: operation, code: rc) }
    }
}
