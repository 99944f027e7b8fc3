import CSQLite

/// The one error type of SQLiteStore.
///
/// Messages carry SQLite's own text (`sqlite3_errmsg`) or a description of the misuse; they never
/// hold bound parameter values or row contents.
public enum SQLiteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A SQLite C call failed. `operation` names the call, `extendedCode` is the extended result
    /// code (https://sqlite.org/rescode.html#extrc) and `message` is `sqlite3_errmsg` text.
    case sqlite(operation: String, extendedCode: Int32, message: String)
    /// The database's `user_version` is newer than the newest migration this code knows.
    case databaseTooNew(userVersion: Int, latestKnown: Int)
    /// A migration list, migration file or migration script is unusable.
    case invalidMigration(String)
    /// Migration `version` failed; the database was left at the version before it.
    indirect case migrationFailed(version: Int, name: String, underlying: SQLiteError)
    /// A column held a value of another storage class than the one asked for.
    case typeMismatch(column: String, expected: String, found: String)
    /// The API was used in a way SQLite would reject or that would be unsafe (wrong argument count,
    /// several statements where one is expected, a stale row, re-entrant queue use, ...).
    case misuse(String)

    /// The extended result code, when the error came from SQLite.
    public var extendedCode: Int32? {
        switch self {
        case .sqlite(_, let code, _): return code
        case .migrationFailed(_, _, let underlying): return underlying.extendedCode
        default: return nil
        }
    }

    /// The primary result code (the low 8 bits of the extended code,
    /// https://sqlite.org/rescode.html#primary_result_code_list).
    public var primaryCode: Int32? { extendedCode.map { $0 & 0xFF } }

    /// A constraint failed (UNIQUE, NOT NULL, CHECK, FOREIGN KEY, ...): `SQLITE_CONSTRAINT`.
    public var isConstraint: Bool { primaryCode == SQLITE_CONSTRAINT }
    /// A UNIQUE or PRIMARY KEY constraint failed (`SQLITE_CONSTRAINT_UNIQUE`, `_PRIMARYKEY`):
    /// typically "that name is taken".
    public var isUniqueConstraint: Bool {
        extendedCode == Self.constraintUnique || extendedCode == Self.constraintPrimaryKey
    }
    /// A FOREIGN KEY constraint failed (`SQLITE_CONSTRAINT_FOREIGNKEY`): the referenced row is missing.
    public var isForeignKeyConstraint: Bool { extendedCode == Self.constraintForeignKey }
    /// Another connection holds a conflicting lock (`SQLITE_BUSY`) or a shared-cache table lock
    /// is held (`SQLITE_LOCKED`); retrying later may succeed.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }
    /// The disk (or the quota) is full: `SQLITE_FULL`, https://sqlite.org/rescode.html#full.
    public var isFull: Bool { primaryCode == SQLITE_FULL }
    /// The file is damaged or not a database at all: `SQLITE_CORRUPT` or `SQLITE_NOTADB`.
    public var isCorrupt: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }
    /// A write was refused because the connection or the file is read-only: `SQLITE_READONLY`.
    public var isReadOnly: Bool { primaryCode == SQLITE_READONLY }

    public var description: String {
        switch self {
        case .sqlite(let operation, let code, let message):
            return "\(operation) failed (\(Self.codeName(code)), code \(code)): \(message)"
        case .databaseTooNew(let userVersion, let latestKnown):
            return "database schema version \(userVersion) is newer than the newest known (\(latestKnown)); "
                + "upgrade the software before opening it"
        case .invalidMigration(let reason):
            return "invalid migration: \(reason)"
        case .migrationFailed(let version, let name, let underlying):
            return "migration \(version) (\(name)) failed: \(underlying)"
        case .typeMismatch(let column, let expected, let found):
            return "column \(column) holds \(found), expected \(expected)"
        case .misuse(let reason):
            return "SQLiteStore misuse: \(reason)"
        }
    }

    // Extended codes are macros Swift cannot import (`(SQLITE_CONSTRAINT | (8<<8))`); values
    // from https://sqlite.org/rescode.html#constraint_foreignkey and following.
    static let constraintForeignKey = SQLITE_CONSTRAINT | (3 << 8)
    static let constraintPrimaryKey = SQLITE_CONSTRAINT | (6 << 8)
    static let constraintUnique = SQLITE_CONSTRAINT | (8 << 8)

    /// SQLite's English name for a result code (`sqlite3_errstr`).
    static func codeName(_ code: Int32) -> String {
        guard let text = sqlite3_errstr(code) else { return "unknown result code" }
        return String(cString: text)
    }

    /// Builds the error for a failed call on `database`, reading `sqlite3_extended_errcode` and
    /// `sqlite3_errmsg` right away, before another call on the connection can overwrite them.
    static func from(_ database: OpaquePointer?, operation: String, code: Int32) -> SQLiteError {
        guard let database else {
            return .sqlite(operation: operation, extendedCode: code, message: codeName(code))
        }
        let extended = sqlite3_extended_errcode(database)
        // The connection's error slot may describe an older failure when `code` came from an API
        // that does not set it (sqlite3_backup_step, sqlite3_close); keep `code` in that case.
        let useConnection = (extended & 0xFF) == (code & 0xFF)
        let message = sqlite3_errmsg(database).map { String(cString: $0) } ?? codeName(code)
        return .sqlite(
            operation: operation, extendedCode: useConnection ? extended : code,
            message: useConnection ? message : codeName(code))
    }
}
