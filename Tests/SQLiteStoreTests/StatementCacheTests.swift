import Foundation
import Testing

@testable import SQLiteStore

@Suite struct StatementCacheTests {
    @Test func repeatedSQLReusesOneStatement() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        try db.execute("CREATE TABLE t(x INTEGER)")
        let before = db.cachedStatementCount
        for n in 0..<50 { try db.execute("INSERT INTO t(x) VALUES (?)", [n]) }
        #expect(db.cachedStatementCount == before + 1)

        let first = try db.withCachedStatement("SELECT x FROM t") { $0 }
        let second = try db.withCachedStatement("SELECT x FROM t") { $0 }
        #expect(first === second)
        // Handed back reset, with no bindings left over from the last use.
        #expect(try db.fetchValue("SELECT count(*) FROM t WHERE x < 10", as: Int.self) == 10)
    }

    @Test func reentrantUseOfTheSameSQLGetsItsOwnStatement() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        try db.execute("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2), (3);")
        var pairs: [[Int]] = []
        try db.query("SELECT x FROM t ORDER BY x") { outer in
            let x: Int = try outer[0]
            let inner = try db.fetchValues("SELECT x FROM t ORDER BY x", as: Int.self)
            pairs.append([x] + inner)
        }
        #expect(pairs == [[1, 1, 2, 3], [2, 1, 2, 3], [3, 1, 2, 3]])
    }

    @Test func cacheStaysWithinCapacity() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"), options: .init(statementCacheCapacity: 2))
        for n in 0..<10 {
            #expect(try db.fetchValue("SELECT \(n)", as: Int.self) == n)
            #expect(db.cachedStatementCount <= 2)
        }
        let uncached = try Connection(path: dir.path("b.db"), options: .init(statementCacheCapacity: 0))
        #expect(try uncached.fetchValue("SELECT 7", as: Int.self) == 7)
        #expect(uncached.cachedStatementCount == 0)
    }

    @Test func failedStatementIsReusableAfterwards() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        try db.execute("CREATE TABLE t(x INTEGER UNIQUE)")
        try db.execute("INSERT INTO t VALUES (?)", [1])
        #expect(throws: SQLiteError.self) { try db.execute("INSERT INTO t VALUES (?)", [1]) }
        try db.execute("INSERT INTO t VALUES (?)", [2])
        struct Stop: Error {}
        #expect(throws: Stop.self) { try db.query("SELECT x FROM t") { _ in throw Stop() } }
        #expect(try db.fetchValues("SELECT x FROM t ORDER BY x", as: Int.self) == [1, 2])
    }

    @Test func withStatementReusesOneStatementAcrossCallsAndErrors() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        try db.execute("CREATE TABLE t(x INTEGER UNIQUE)")
        let insert = "INSERT INTO t VALUES (?)"
        let first = try db.withStatement(insert) { statement in
            for n in 1...3 {
                statement.reset()
                try statement.bind(Int64(n), at: 1)
                while try statement.step() {}
            }
            return statement
        }
        struct Stop: Error {}
        // A body that throws half-way (bound, stepped into a constraint error) hands the
        // statement back reset: the next call gets the same one and it works.
        #expect(throws: SQLiteError.self) {
            try db.withStatement(insert) { statement in
                try statement.bind(Int64(2), at: 1)
                while try statement.step() {}
            }
        }
        #expect(throws: Stop.self) {
            try db.withStatement(insert) { statement in
                try statement.bind(Int64(9), at: 1)
                throw Stop()
            }
        }
        let again = try db.withStatement(insert) { statement in
            try statement.bind(Int64(4), at: 1)
            while try statement.step() {}
            return statement
        }
        #expect(first === again)
        #expect(try db.fetchValues("SELECT x FROM t ORDER BY x", as: Int.self) == [1, 2, 3, 4])
    }
}
