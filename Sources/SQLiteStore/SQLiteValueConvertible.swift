/// A Swift type that binds to a statement parameter and reads back from a result column.
///
/// Conforming here: `Int64`, `Int`, `Double`, `String`, `[UInt8]` (blob), `Bool` (0/1),
/// `SQLiteValue`, and `Optional` of any of them (`nil` is SQL NULL). Reads are strict: a column
/// of another storage class throws `SQLiteError.typeMismatch` instead of being converted
/// (SQLite's own conversions are listed at https://sqlite.org/c3ref/column_blob.html).
public protocol SQLiteValueConvertible {
    /// Binds `self` to the 1-based parameter `index` of `statement`.
    func bind(to statement: Statement, at index: Int) throws(SQLiteError)
    /// Reads a value of this type from the 0-based column `index` of `row`.
    static func read(from row: Row, at index: Int) throws(SQLiteError) -> Self
}

/// Positional statement arguments: `[name, id, blob, nil]`; `nil` binds SQL NULL.
public typealias StatementArguments = [(any SQLiteValueConvertible)?]

extension Int64: SQLiteValueConvertible {
    public func bind(to statement: Statement, at index: Int) throws(SQLiteError) {
        try statement.bind(self, at: index)
    }
    public static func read(from row: Row, at index: Int) throws(SQLiteError) -> Int64 {
        try row.int64(at: index)
    }
}

extension Int: SQLiteValueConvertible {
    public func bind(to statement: Statement, at index: Int) throws(SQLiteError) {
        try statement.bind(Int64(self), at: index)
    }
    public static func read(from row: Row, at index: Int) throws(SQLiteError) -> Int {
        let value = try row.int64(at: index)
        guard let narrowed = Int(exactly: value) else {
            throw .typeMismatch(column: row.columnLabel(index), expected: "Int", found: "out-of-range INTEGER")
        }
        return narrowed
    }
}

extension Double: SQLiteValueConvertible {
    public func bind(to statement: Statement, at index: Int) throws(SQLiteError) {
        try statement.bind(self, at: index)
    }
    public static func read(from row: Row, at index: Int) throws(SQLiteError) -> Double {
        try row.double(at: index)
    }
}

extension String: SQLiteValueConvertible {
    public func bind(to statement: Statement, at index: Int) throws(SQLiteError) {
        try statement.bind(self, at: index)
    }
    public static func read(from row: Row, at index: Int) throws(SQLiteError) -> String {
        try row.string(at: index)
    }
}

extension Array: SQLiteValueConvertible where Element == UInt8 {
    public func bind(to statement: Statement, at index: Int) throws(SQLiteError) {
        try statement.bind(self, at: index)
    }
    public static func read(from row: Row, at index: Int) throws(SQLiteError) -> [UInt8] {
        try row.blob(at: index)
    }
}

extension Bool: SQLiteValueConvertible {
    public func bind(to statement: Statement, at index: Int) throws(SQLiteError) {
        try statement.bind(Int64(self ? 1 : 0), at: index)
    }
    /// Any non-zero INTEGER reads as `true` (https://sqlite.org/datatype3.html#boolean_datatype).
    public static func read(from row: Row, at index: Int) throws(SQLiteError) -> Bool {
        try row.int64(at: index) != 0
    }
}

extension SQLiteValue: SQLiteValueConvertible {
    public func bind(to statement: Statement, at index: Int) throws(SQLiteError) {
        try statement.bind(self, at: index)
    }
    public static func read(from row: Row, at index: Int) throws(SQLiteError) -> SQLiteValue {
        try row.sqliteValue(at: index)
    }
}

extension Optional: SQLiteValueConvertible where Wrapped: SQLiteValueConvertible {
    public func bind(to statement: Statement, at index: Int) throws(SQLiteError) {
        switch self {
        case .none: try statement.bindNull(at: index)
        case .some(let wrapped): try wrapped.bind(to: statement, at: index)
        }
    }
    public static func read(from row: Row, at index: Int) throws(SQLiteError) -> Wrapped? {
        try row.isNull(at: index) ? nil : Wrapped.read(from: row, at: index)
    }
}
