/// One SQLite value in one of the five storage classes (https://sqlite.org/datatype3.html).
///
/// Literals work where a value is expected: `[1, "text", 2.5, nil, true]`.
public enum SQLiteValue: Equatable, Sendable {
    /// SQL NULL.
    case null
    /// A signed 64-bit integer.
    case integer(Int64)
    /// An IEEE 754 double.
    case real(Double)
    /// UTF-8 text.
    case text(String)
    /// Raw bytes; an empty blob is not NULL.
    case blob([UInt8])

    /// The storage class name SQLite uses (`sqlite3_column_type` / `typeof()`).
    public var storageClass: String {
        switch self {
        case .null: return "NULL"
        case .integer: return "INTEGER"
        case .real: return "REAL"
        case .text: return "TEXT"
        case .blob: return "BLOB"
        }
    }
}

extension SQLiteValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension SQLiteValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

extension SQLiteValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .real(value) }
}

extension SQLiteValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
}

extension SQLiteValue: ExpressibleByBooleanLiteral {
    /// Booleans are stored as the integers 0 and 1 (https://sqlite.org/datatype3.html#boolean_datatype).
    public init(booleanLiteral value: Bool) { self = .integer(value ? 1 : 0) }
}
