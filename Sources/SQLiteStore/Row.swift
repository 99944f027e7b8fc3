import CSQLite

/// The current result row of a `Statement`, read column by column.
///
/// A row is a view, not a copy: it is valid only until its statement steps or resets again, and
/// reading it after that throws `SQLiteError.misuse` instead of returning another row's data.
/// Reads are strict about storage classes (see `SQLiteValueConvertible`).
public struct Row {
    let statement: Statement
    let generation: UInt64

    /// Number of columns in the row.
    public var count: Int { statement.columnCount }

    /// Reads column `index` as `T`: `let id: Int64 = try row[0]`, `let note: String? = try row[1]`.
    public subscript<T: SQLiteValueConvertible>(index: Int) -> T {
        get throws(SQLiteError) { try T.read(from: self, at: index) }
    }

    /// Reads the column called `name` as `T`.
    public subscript<T: SQLiteValueConvertible>(name: String) -> T {
        get throws(SQLiteError) { try T.read(from: self, at: statement.columnIndex(named: name)) }
    }

    /// The storage class of column `index` (`sqlite3_column_type`): one of `SQLITE_INTEGER`,
    /// `SQLITE_FLOAT`, `SQLITE_TEXT`, `SQLITE_BLOB`, `SQLITE_NULL`.
    public func storageClass(at index: Int) throws(SQLiteError) -> Int32 {
        sqlite3_column_type(statement.handle, try column(index))
    }

    /// True when column `index` is NULL.
    public func isNull(at index: Int) throws(SQLiteError) -> Bool {
        try storageClass(at: index) == SQLITE_NULL
    }

    /// Reads an INTEGER column.
    public func int64(at index: Int) throws(SQLiteError) -> Int64 {
        let column = try expect(SQLITE_INTEGER, at: index, named: "INTEGER")
        return sqlite3_column_int64(statement.handle, column)
    }

    /// Reads a REAL column; an INTEGER column is widened exactly as SQLite does.
    public func double(at index: Int) throws(SQLiteError) -> Double {
        let column = try column(index)
        let type = sqlite3_column_type(statement.handle, column)
        guard type == SQLITE_FLOAT || type == SQLITE_INTEGER else {
            throw .typeMismatch(column: columnLabel(index), expected: "REAL", found: Self.typeName(type))
        }
        return sqlite3_column_double(statement.handle, column)
    }

    /// Reads a TEXT column. Bytes that are not valid UTF-8 (possible in a damaged or hostile file)
    /// decode as U+FFFD rather than failing.
    public func string(at index: Int) throws(SQLiteError) -> String {
        let column = try expect(SQLITE_TEXT, at: index, named: "TEXT")
        // Pointer first, then length: https://sqlite.org/c3ref/column_blob.html.
        let text = sqlite3_column_text(statement.handle, column)
        let length = Int(sqlite3_column_bytes(statement.handle, column))
        guard let text else {
            try checkNoMemory("sqlite3_column_text")
            return ""
        }
        return String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self)
    }

    /// Reads a BLOB column into a new array (one copy out of SQLite's buffer).
    public func blob(at index: Int) throws(SQLiteError) -> [UInt8] {
        try withBlob(at: index) { [UInt8]($0) }
    }

    /// Lends the bytes of a BLOB column without copying them; the buffer is valid only inside
    /// `body`. A zero-length blob gives an empty buffer.
    public func withBlob<Result>(
        at index: Int, _ body: (UnsafeRawBufferPointer) throws(SQLiteError) -> Result
    ) throws(SQLiteError) -> Result {
        let column = try expect(SQLITE_BLOB, at: index, named: "BLOB")
        let bytes = sqlite3_column_blob(statement.handle, column)
        let length = Int(sqlite3_column_bytes(statement.handle, column))
        // A zero-length blob comes back as a NULL pointer; so does an out-of-memory failure.
        guard let bytes else {
            try checkNoMemory("sqlite3_column_blob")
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeRawBufferPointer(start: bytes, count: length))
    }

    /// Reads column `index` in whatever storage class it holds.
    public func sqliteValue(at index: Int) throws(SQLiteError) -> SQLiteValue {
        switch try storageClass(at: index) {
        case SQLITE_INTEGER: return .integer(try int64(at: index))
        case SQLITE_FLOAT: return .real(try double(at: index))
        case SQLITE_TEXT: return .text(try string(at: index))
        case SQLITE_BLOB: return .blob(try blob(at: index))
        default: return .null
        }
    }

    /// The column's name for error messages, or `#index` when it has none.
    func columnLabel(_ index: Int) -> String {
        (try? statement.columnName(at: index)) ?? "#\(index)"
    }

    /// Checks the row is still current and `index` is in range.
    private func column(_ index: Int) throws(SQLiteError) -> Int32 {
        guard statement.generation == generation, statement.hasRow else {
            throw .misuse("a row was read after its statement moved on")
        }
        return try statement.columnIndex(index)
    }

    private func expect(_ type: Int32, at index: Int, named name: String) throws(SQLiteError) -> Int32 {
        let column = try column(index)
        let found = sqlite3_column_type(statement.handle, column)
        guard found == type else {
            throw .typeMismatch(column: columnLabel(index), expected: name, found: Self.typeName(found))
        }
        return column
    }

    /// After a NULL pointer from a column read, SQLITE_NOMEM in the connection's error code tells
    /// a failed allocation from an empty value (https://sqlite.org/c3ref/column_blob.html).
    private func checkNoMemory(_ operation: String) throws(SQLiteError) {
        let code = sqlite3_errcode(statement.database)
        if code == SQLITE_NOMEM { throw SQLiteError.from(statement.database, operation: operation, code: code) }
    }

    private static func typeName(_ type: Int32) -> String {
        switch type {
        case SQLITE_INTEGER: return "INTEGER"
        case SQLITE_FLOAT: return "REAL"
        case SQLITE_TEXT: return "TEXT"
        case SQLITE_BLOB: return "BLOB"
        default: return "NULL"
        }
    }
}
