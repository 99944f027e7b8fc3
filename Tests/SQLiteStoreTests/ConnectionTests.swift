import CSQLite
import Foundation
import Testing

@testable import SQLiteStore

@Suite struct ConnectionTests {
    static let schema = """
        CREATE TABLE item(
            id INTEGER PRIMARY KEY, count INTEGER, ratio REAL, label TEXT, payload BLOB, flag INTEGER);
        """

    @Test func pragmasAreAppliedOnOpen() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        #expect(try db.fetchValue("PRAGMA journal_mode", as: String.self) == "wal")
        #expect(try db.fetchValue("PRAGMA synchronous", as: Int.self) == 2)
        #expect(try db.fetchValue("PRAGMA foreign_keys", as: Bool.self) == true)
        #expect(try db.fetchValue("PRAGMA busy_timeout", as: Int.self) == 5_000)
        #expect(try db.fetchValue("PRAGMA trusted_schema", as: Bool.self) == false)

        let client = try Connection(
            path: dir.path("b.db"), options: .init(synchronous: .normal, busyTimeoutMilliseconds: 250))
        #expect(try client.fetchValue("PRAGMA synchronous", as: Int.self) == 1)
        #expect(try client.fetchValue("PRAGMA busy_timeout", as: Int.self) == 250)
    }

    @Test func cacheAndCheckpointOptionsAreApplied() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plain = try Connection(path: dir.path("a.db"))
        #expect(try plain.fetchValue("PRAGMA cache_size", as: Int.self) == -2_000)
        #expect(try plain.fetchValue("PRAGMA wal_autocheckpoint", as: Int.self) == 1_000)

        var options = Connection.Options()
        options.cacheSizeKibibytes = 65_536
        options.walAutocheckpointPages = 10_000
        let tuned = try Connection(path: dir.path("b.db"), options: options)
        // A negative cache_size is in KiB (https://sqlite.org/pragma.html#pragma_cache_size).
        #expect(try tuned.fetchValue("PRAGMA cache_size", as: Int.self) == -65_536)
        #expect(try tuned.fetchValue("PRAGMA wal_autocheckpoint", as: Int.self) == 10_000)

        options.access = .readOnly
        let reader = try Connection(path: dir.path("b.db"), options: options)
        #expect(try reader.fetchValue("PRAGMA cache_size", as: Int.self) == -65_536)
    }

    @Test func outOfRangeCacheAndCheckpointOptionsAreRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for kibibytes in [0, -1, Int.min] {
            var options = Connection.Options()
            options.cacheSizeKibibytes = kibibytes
            #expect(throws: SQLiteError.self) { try Connection(path: dir.path("cache.db"), options: options) }
        }
        for pages in [-1, Int.min] {
            var options = Connection.Options()
            options.walAutocheckpointPages = pages
            #expect(throws: SQLiteError.self) { try Connection(path: dir.path("wal.db"), options: options) }
        }
        // Zero turns the automatic checkpoint off; it is a valid setting.
        var options = Connection.Options()
        options.walAutocheckpointPages = 0
        let off = try Connection(path: dir.path("off.db"), options: options)
        #expect(try off.fetchValue("PRAGMA wal_autocheckpoint", as: Int.self) == 0)
    }

    @Test func roundTripsEveryType() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        try db.execute(Self.schema)
        let big = randomBytes(4 << 20)
        let unicode = "héllo 🌍 日本語 \u{202E}"
        let rows: [StatementArguments] = [
            [Int64.max, 0.5, unicode, big, true],
            [Int64.min, -1e300, "", [UInt8](), false],
            [nil, nil, nil, nil, nil],
            [42, Double.infinity, "nul\0inside", [0, 0, 1], 7 == 7],
        ]
        for row in rows {
            try db.execute("INSERT INTO item(count, ratio, label, payload, flag) VALUES (?, ?, ?, ?, ?)", row)
        }
        #expect(try db.lastInsertRowID == 4)

        let read = try db.fetchAll("SELECT count, ratio, label, payload, flag FROM item ORDER BY id") { row in
            [try row.sqliteValue(at: 0), try row.sqliteValue(at: 1), try row.sqliteValue(at: 2),
             try row.sqliteValue(at: 3), try row.sqliteValue(at: 4)]
        }
        #expect(read[0] == [.integer(.max), .real(0.5), .text(unicode), .blob(big), .integer(1)])
        // The empty string and the empty blob stay empty values, not NULL.
        #expect(read[1] == [.integer(.min), .real(-1e300), .text(""), .blob([]), .integer(0)])
        #expect(read[2] == [.null, .null, .null, .null, .null])
        #expect(read[3] == [.integer(42), .real(.infinity), .text("nul\0inside"), .blob([0, 0, 1]), .integer(1)])

        try db.query("SELECT count, ratio, label, payload, flag FROM item WHERE id = 1") { row in
            let count: Int = try row[0]
            let ratio: Double = try row["ratio"]
            let label: String? = try row["label"]
            let flag: Bool = try row[4]
            #expect(count == .max && ratio == 0.5 && label == unicode && flag)
            // The borrowed blob is SQLite's buffer, not a copy.
            try row.withBlob(at: 3) { bytes in #expect(bytes.count == big.count && bytes.elementsEqual(big)) }
        }
        let missing: String?? = try db.fetchOne("SELECT label FROM item WHERE id = 3") { try $0[0] as String? }
        #expect(missing == .some(nil))
        #expect(try db.fetchOne("SELECT label FROM item WHERE id = 99") { try $0[0] as String? } == nil)
    }

    @Test func updatesAndDeletesReportChanges() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        try db.execute(Self.schema)
        for n in 1...5 { try db.execute("INSERT INTO item(count) VALUES (?)", [n]) }
        try db.execute("UPDATE item SET label = :label WHERE count > :min", named: [":label": "big", ":min": 2])
        #expect(try db.changes == 3)
        try db.execute("DELETE FROM item WHERE label IS NULL", [])
        #expect(try db.changes == 2)
        #expect(try db.fetchValues("SELECT count FROM item ORDER BY count", as: Int.self) == [3, 4, 5])
    }

    @Test func constraintViolationCarriesSQLiteMessageButNoValues() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        try db.execute("""
            CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
            CREATE TABLE devices(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id));
            """)
        try db.execute("INSERT INTO users(name) VALUES (?)", ["alice-secret"])
        let unique = #expect(throws: SQLiteError.self) {
            try db.execute("INSERT INTO users(name) VALUES (?)", ["alice-secret"])
        }
        #expect(unique?.isConstraint == true)
        #expect(unique?.isUniqueConstraint == true)
        #expect(unique?.extendedCode == 2067)  // SQLITE_CONSTRAINT_UNIQUE, https://sqlite.org/rescode.html
        #expect(unique?.description.contains("UNIQUE constraint failed: users.name") == true)
        #expect(unique?.description.contains("alice-secret") == false)

        let notNull = #expect(throws: SQLiteError.self) { try db.execute("INSERT INTO users(name) VALUES (?)", [nil]) }
        #expect(notNull?.extendedCode == 1299)  // SQLITE_CONSTRAINT_NOTNULL
        #expect(notNull?.isUniqueConstraint == false)
        // foreign_keys=ON is in effect.
        let foreignKey = #expect(throws: SQLiteError.self) {
            try db.execute("INSERT INTO devices(user_id) VALUES (?)", [999])
        }
        #expect(foreignKey?.isForeignKeyConstraint == true)
        #expect(foreignKey?.extendedCode == 787)  // SQLITE_CONSTRAINT_FOREIGNKEY
    }

    @Test func fullDatabaseIsReportedAsFull() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        try db.execute("CREATE TABLE b(data BLOB); PRAGMA max_page_count = 8;")
        let error = #expect(throws: SQLiteError.self) {
            try db.execute("INSERT INTO b VALUES (?)", [randomBytes(64 << 10)])
        }
        #expect(error?.isFull == true)
        #expect(error?.primaryCode == SQLITE_FULL)
    }

    @Test func readsAreStrictAboutStorageClasses() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        try db.execute(Self.schema)
        try db.execute("INSERT INTO item(count, label) VALUES (?, ?)", ["12", nil])
        // The column has INTEGER affinity, so "12" is stored as 12; the label stays NULL.
        #expect(try db.fetchValue("SELECT count FROM item", as: Int.self) == 12)
        let textAsInt = #expect(throws: SQLiteError.self) {
            try db.fetchValue("SELECT 'twelve'", as: Int64.self)
        }
        #expect(textAsInt == .typeMismatch(column: "'twelve'", expected: "INTEGER", found: "TEXT"))
        let nullAsString = #expect(throws: SQLiteError.self) {
            try db.fetchValue("SELECT label FROM item", as: String.self)
        }
        #expect(nullAsString == .typeMismatch(column: "label", expected: "TEXT", found: "NULL"))
        #expect(throws: SQLiteError.self) { try db.fetchValue("SELECT x'00'", as: String.self) }
        #expect(try db.fetchValue("SELECT 3", as: Double.self) == 3.0)
        // Invalid UTF-8 from a hostile file decodes with replacement characters, no crash.
        #expect(try db.fetchValue("SELECT CAST(x'66ff6f' AS TEXT)", as: String.self) == "f\u{FFFD}o")
    }

    @Test func misuseIsCaughtBeforeReachingSQLite() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        try db.execute(Self.schema)
        #expect(throws: SQLiteError.self) { try db.execute("INSERT INTO item(count) VALUES (?)", []) }
        #expect(throws: SQLiteError.self) { try db.execute("INSERT INTO item(count) VALUES (?)", [1, 2]) }
        #expect(throws: SQLiteError.self) { try db.execute("INSERT INTO item(count) VALUES (:n)", named: [":m": 1]) }
        #expect(throws: SQLiteError.self) { try db.execute("DELETE FROM item; DROP TABLE item", []) }
        #expect(throws: SQLiteError.self) { try db.execute("DELETE FROM item; ; -- hidden\n DROP TABLE item", []) }
        #expect(throws: SQLiteError.self) { try db.execute("", []) }
        #expect(throws: SQLiteError.self) { try db.execute("SELECT 1\0; DROP TABLE item") }
        // A script binds nothing: a parameter in it is an error, not a silent NULL.
        #expect(throws: SQLiteError.self) {
            try db.execute("INSERT INTO item(count) VALUES (1); INSERT INTO item(count) VALUES (?);")
        }
        #expect(try db.fetchValue("SELECT count(*) FROM item", as: Int.self) == 1)
        try db.execute(" ; -- only a comment\n;; ")
        // Trailing comments are not a second statement.
        try db.execute("SELECT 1; -- trailing comment", [])
        #expect(try db.fetchValue("SELECT count(*) FROM sqlite_schema WHERE name = 'item'", as: Int.self) == 1)

        let syntax = #expect(throws: SQLiteError.self) { try db.execute("SELEKT 1", []) }
        #expect(syntax?.primaryCode == SQLITE_ERROR)
        #expect(syntax?.description.contains("syntax error") == true)

        let statement = try db.prepare("SELECT ?1, ?2")
        #expect(throws: SQLiteError.self) { try statement.bind(1, at: 0) }
        #expect(throws: SQLiteError.self) { try statement.bind(1, at: 3) }
        #expect(throws: SQLiteError.self) { try statement.columnName(at: 2) }
    }

    @Test func rowsGoStaleWhenTheStatementMovesOn() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        var escaped: Row?
        try db.query("SELECT 1 UNION ALL SELECT 2") { row in escaped = row }
        let row = try #require(escaped)
        #expect(throws: SQLiteError.self) { try row.int64(at: 0) }

        let statement = try db.prepare("SELECT 1 UNION ALL SELECT 2")
        #expect(try statement.step())
        let first = try #require(statement.currentRow)
        #expect(try first.int64(at: 0) == 1)
        #expect(try statement.step())
        #expect(throws: SQLiteError.self) { try first.int64(at: 0) }
        #expect(try statement.currentRow?.int64(at: 0) == 2)
        #expect(try !statement.step())
        #expect(statement.currentRow == nil)
    }

    @Test func preparedStatementRunsAgainAfterReset() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        try db.execute(Self.schema)
        let insert = try db.prepare("INSERT INTO item(count, label) VALUES (:count, :label)")
        #expect(insert.parameterCount == 2)
        for n in 1...3 {
            insert.reset()
            try insert.bind(named: [":count": n, ":label": "n\(n)"])
            #expect(try !insert.step())
        }
        insert.reset()
        try insert.clearBindings()
        #expect(try !insert.step())
        let labels = try db.fetchAll("SELECT label FROM item ORDER BY id") { try $0[0] as String? }
        #expect(labels == ["n1", "n2", "n3", nil])
    }

    @Test func closeIsCheckedAndFinal() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        var held: Statement? = try db.prepare("SELECT 1")
        // A statement the caller still holds keeps the connection open.
        let busy = #expect(throws: SQLiteError.self) { try db.close() }
        #expect(busy?.isBusy == true)
        #expect(db.isOpen)
        #expect(held?.sql == "SELECT 1")
        held = nil
        try db.close()
        #expect(!db.isOpen)
        try db.close()
        #expect(throws: SQLiteError.self) { try db.execute("SELECT 1", []) }

        let other = try Connection(path: dir.path("b.db"))
        try other.query("SELECT 1") { _ in
            #expect(throws: SQLiteError.self) { try other.close() }
        }
        try other.close()
    }

    @Test func readOnlyConnectionRefusesWrites() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try Connection(path: dir.path("a.db"))
        try writer.execute(Self.schema)
        let reader = try Connection(path: dir.path("a.db"), options: .init(access: .readOnly))
        let error = #expect(throws: SQLiteError.self) { try reader.execute("INSERT INTO item(count) VALUES (1)", []) }
        #expect(error?.isReadOnly == true)
        let missing = #expect(throws: SQLiteError.self) {
            try Connection(path: dir.path("missing.db"), options: .init(access: .readWrite))
        }
        #expect(missing?.primaryCode == SQLITE_CANTOPEN)
    }
}

@Suite struct SQLiteLibraryTests {
    @Test func memoryStatisticsAreOffBeforeTheFirstConnection() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("stats.db"))
        try db.execute("CREATE TABLE t(v BLOB)")
        try db.execute("INSERT INTO t VALUES (zeroblob(100000))")
        #expect(SQLiteLibrary.configured == SQLITE_OK)
        // With SQLITE_CONFIG_MEMSTATUS off, SQLite counts nothing.
        #expect(sqlite3_memory_used() == 0)
    }
}
