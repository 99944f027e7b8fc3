import CSQLite

/// Parameter binding (https://sqlite.org/c3ref/bind_blob.html). Text and blobs are handed to
/// SQLite straight from the caller's storage with `SQLITE_TRANSIENT`, so SQLite makes the one copy
/// it needs and no intermediate Swift copy is made.
extension Statement {
    /// Binds an integer to the 1-based parameter `index`.
    public func bind(_ value: Int64, at index: Int) throws(SQLiteError) {
        try check(sqlite3_bind_int64(handle, try parameterIndex(index), value), "sqlite3_bind_int64")
    }

    /// Binds a floating-point value to the 1-based parameter `index`.
    public func bind(_ value: Double, at index: Int) throws(SQLiteError) {
        try check(sqlite3_bind_double(handle, try parameterIndex(index), value), "sqlite3_bind_double")
    }

    /// Binds UTF-8 text (embedded NUL bytes included, as the length is passed explicitly).
    public func bind(_ value: String, at index: Int) throws(SQLiteError) {
        let parameter = try parameterIndex(index)
        var text = value
        let rc = text.withUTF8 { utf8 -> Int32 in
            guard let base = utf8.baseAddress, utf8.count > 0 else {
                // A NULL pointer would bind SQL NULL, not the empty string.
                return sqlite3_bind_text64(handle, parameter, "", 0, coffre_sqlite_transient(), UInt8(SQLITE_UTF8))
            }
            return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) { chars in
                sqlite3_bind_text64(
                    handle, parameter, chars, UInt64(utf8.count), coffre_sqlite_transient(), UInt8(SQLITE_UTF8))
            }
        }
        try check(rc, "sqlite3_bind_text64")
    }

    /// Binds a blob from an array, read in place.
    public func bind(_ value: [UInt8], at index: Int) throws(SQLiteError) {
        var failure: SQLiteError?
        value.withUnsafeBytes { bytes in
            do throws(SQLiteError) { try bind(bytes, at: index) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Binds a blob from raw bytes, which need to stay valid only for the duration of this call.
    /// An empty buffer binds a zero-length blob, not NULL.
    public func bind(_ bytes: UnsafeRawBufferPointer, at index: Int) throws(SQLiteError) {
        let parameter = try parameterIndex(index)
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            try check(sqlite3_bind_zeroblob(handle, parameter, 0), "sqlite3_bind_zeroblob")
            return
        }
        let rc = sqlite3_bind_blob64(handle, parameter, base, UInt64(bytes.count), coffre_sqlite_transient())
        try check(rc, "sqlite3_bind_blob64")
    }

    /// Binds SQL NULL to the 1-based parameter `index`.
    public func bindNull(at index: Int) throws(SQLiteError) {
        try check(sqlite3_bind_null(handle, try parameterIndex(index)), "sqlite3_bind_null")
    }

    /// Binds a value of any storage class.
    public func bind(_ value: SQLiteValue, at index: Int) throws(SQLiteError) {
        switch value {
        case .null: try bindNull(at: index)
        case .integer(let integer): try bind(integer, at: index)
        case .real(let real): try bind(real, at: index)
        case .text(let text): try bind(text, at: index)
        case .blob(let blob): try bind(blob, at: index)
        }
    }

    /// Binds any convertible value (or NULL for `nil`) to the 1-based parameter `index`.
    public func bind(_ value: (any SQLiteValueConvertible)?, at index: Int) throws(SQLiteError) {
        guard let value else { return try bindNull(at: index) }
        try value.bind(to: self, at: index)
    }

    /// Binds a value to the parameter called `name`, prefix included (`:id`, `@id` or `$id`).
    public func bind(_ value: (any SQLiteValueConvertible)?, named name: String) throws(SQLiteError) {
        try bind(value, at: parameterIndex(named: name))
    }

    /// Binds every positional parameter; the count must match `parameterCount` exactly so that
    /// no parameter is left NULL by mistake.
    public func bind(_ arguments: StatementArguments) throws(SQLiteError) {
        guard arguments.count == parameterCount else {
            throw .misuse("statement takes \(parameterCount) arguments, got \(arguments.count)")
        }
        for (offset, argument) in arguments.enumerated() {
            try bind(argument, at: offset + 1)
        }
    }

    /// Binds named parameters; every parameter must be named and given exactly once.
    public func bind(named arguments: [String: (any SQLiteValueConvertible)?]) throws(SQLiteError) {
        guard arguments.count == parameterCount else {
            throw .misuse("statement takes \(parameterCount) arguments, got \(arguments.count)")
        }
        for (name, argument) in arguments {
            try bind(argument, named: name)
        }
    }

    /// The 1-based index of the parameter called `name` (`sqlite3_bind_parameter_index`).
    public func parameterIndex(named name: String) throws(SQLiteError) -> Int {
        let index = Int(sqlite3_bind_parameter_index(handle, name))
        guard index > 0 else { throw .misuse("no parameter named \(name)") }
        return index
    }

    /// Validates a 1-based parameter index; SQLite would answer SQLITE_RANGE, this names the bounds.
    private func parameterIndex(_ index: Int) throws(SQLiteError) -> Int32 {
        guard index >= 1, index <= parameterCount else {
            throw .misuse("parameter index \(index) out of range 1...\(parameterCount)")
        }
        return Int32(index)
    }
}
