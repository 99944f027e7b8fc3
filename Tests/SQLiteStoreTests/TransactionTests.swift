import CSQLite
import Foundation
import Testing

@testable import SQLiteStore

@Suite struct TransactionTests {
    struct Abort: Error, Equatable {}

    func makeDatabase(_ dir: TemporaryDirectory) throws -> Connection {
        let db = try Connection(path: dir.path("a.db"))
        try db.execute("CREATE TABLE t(x INTEGER NOT NULL)")
        return db
    }

    func count(_ db: Connection) throws -> Int {
        try db.fetchValue("SELECT count(*) FROM t", as: Int.self) ?? -1
    }

    @Test func commitsWhenTheBodyReturns() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try makeDatabase(dir)
        let value = try db.transaction(.immediate) { db in
            try db.execute("INSERT INTO t VALUES (?)", [1])
            #expect(db.isInTransaction)
            return "done"
        }
        #expect(value == "done")
        #expect(!db.isInTransaction)
        #expect(try count(db) == 1)
    }

    @Test func rollsBackAndRethrowsWhenTheBodyThrows() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try makeDatabase(dir)
        #expect(throws: Abort()) {
            try db.transaction { db in
                try db.execute("INSERT INTO t VALUES (?)", [1])
                throw Abort()
            }
        }
        #expect(!db.isInTransaction)
        #expect(try count(db) == 0)

        // A failing statement half-way also undoes the statements before it.
        #expect(throws: SQLiteError.self) {
            try db.transaction { db in
                try db.execute("INSERT INTO t VALUES (?)", [1])
                try db.execute("INSERT INTO t VALUES (?)", [nil])
            }
        }
        #expect(try count(db) == 0)
    }

    @Test func nestedTransactionsUseSavepoints() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try makeDatabase(dir)
        try db.transaction { db in
            try db.execute("INSERT INTO t VALUES (?)", [1])
            #expect(throws: Abort()) {
                try db.transaction { db in
                    try db.execute("INSERT INTO t VALUES (?)", [2])
                    try db.transaction { db in try db.execute("INSERT INTO t VALUES (?)", [3]) }
                    throw Abort()
                }
            }
            try db.transaction { db in try db.execute("INSERT INTO t VALUES (?)", [4]) }
            #expect(try db.fetchValues("SELECT x FROM t ORDER BY x", as: Int.self) == [1, 4])
        }
        #expect(try db.fetchValues("SELECT x FROM t ORDER BY x", as: Int.self) == [1, 4])

        // An outer rollback undoes released savepoints too.
        #expect(throws: Abort()) {
            try db.transaction { db in
                try db.transaction { db in try db.execute("INSERT INTO t VALUES (?)", [5]) }
                throw Abort()
            }
        }
        #expect(try count(db) == 2)
        #expect(db.savepointDepth == 0)
    }

    @Test func busyWriterFailsFastWithoutTimeoutAndWaitsWithOne() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let holder = try makeDatabase(dir)
        let impatient = try Connection(path: dir.path("a.db"), options: .init(busyTimeoutMilliseconds: 0))
        try holder.execute("BEGIN IMMEDIATE")
        let error = #expect(throws: SQLiteError.self) {
            try impatient.transaction(.immediate) { db in try db.execute("INSERT INTO t VALUES (?)", [1]) }
        }
        #expect(error?.isBusy == true)
        #expect(!impatient.isInTransaction)
        try holder.execute("COMMIT")
        try impatient.transaction(.immediate) { db in try db.execute("INSERT INTO t VALUES (?)", [1]) }
        #expect(try count(holder) == 1)
    }

    @Test func busyTimeoutWaitsForTheOtherWriter() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try makeDatabase(dir).close()
        let queue = try DatabaseQueue(path: dir.path("a.db"), readerCount: 1)
        let patient = try Connection(path: dir.path("a.db"), options: .init(busyTimeoutMilliseconds: 30_000))
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let holderResult = Shared<String>("not run")
        DispatchQueue.global().async {
            do {
                try queue.write { db in
                    try db.execute("INSERT INTO t VALUES (?)", [1])
                    holding.signal()
                    _ = waitLong(release)
                }
                holderResult.value = "committed"
            } catch {
                holderResult.value = "\(error)"
            }
            finished.signal()
        }
        #expect(waitLong(holding))
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { release.signal() }
        // Blocks in SQLite's busy handler until the holder commits, then succeeds.
        try patient.execute("INSERT INTO t VALUES (?)", [2])
        #expect(waitLong(finished))
        #expect(holderResult.value == "committed")
        #expect(try patient.fetchValues("SELECT x FROM t ORDER BY x", as: Int.self) == [1, 2])
    }
}
