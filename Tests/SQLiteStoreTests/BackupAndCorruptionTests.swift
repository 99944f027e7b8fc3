import CSQLite
import Foundation
import Testing

@testable import SQLiteStore

@Suite struct BackupAndCorruptionTests {
    func fill(_ db: Connection, rows: Int) throws {
        try db.execute("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT NOT NULL, b BLOB NOT NULL)")
        try db.transaction { db in
            for n in 0..<rows { try db.execute("INSERT INTO t(v, b) VALUES (?, ?)", ["row \(n)", randomBytes(200)]) }
        }
    }

    func contents(_ db: Connection) throws -> [[SQLiteValue]] {
        try db.fetchAll("SELECT id, v, b FROM t ORDER BY id") { row in
            [try row.sqliteValue(at: 0), try row.sqliteValue(at: 1), try row.sqliteValue(at: 2)]
        }
    }

    @Test func connectionBackupOpensWithTheSameData() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let source = try Connection(path: dir.path("a.db"))
        try fill(source, rows: 300)
        try source.backup(to: dir.path("copy.db"), pagesPerStep: 3)

        let copy = try Connection(path: dir.path("copy.db"))
        #expect(try copy.integrityCheck() == [])
        #expect(try contents(copy) == contents(source))
        // The backup is a normal database of its own: it can be written to.
        try copy.execute("INSERT INTO t(v, b) VALUES (?, ?)", ["after", [1]])
    }

    @Test func queueBackupLetsWritesRunBetweenSteps() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try DatabaseQueue(path: dir.path("a.db"), readerCount: 1)
        try db.write { try fill($0, rows: 300) }

        let writes = DispatchSemaphore(value: 0)
        let writeFailures = Shared(0)
        DispatchQueue.global().async {
            for n in 0..<20 {
                do {
                    try db.write { try $0.execute("INSERT INTO t(v, b) VALUES (?, ?)", ["during \(n)", [UInt8(n)]]) }
                } catch {
                    writeFailures.value += 1
                }
            }
            writes.signal()
        }
        try db.backup(to: dir.path("copy.db"), pagesPerStep: 1)
        #expect(waitLong(writes))
        #expect(writeFailures.value == 0)

        let copy = try Connection(path: dir.path("copy.db"), options: .init(access: .readOnly))
        #expect(try copy.integrityCheck() == [])
        let copied = try #require(try copy.fetchValue("SELECT count(*) FROM t", as: Int.self))
        #expect((300...320).contains(copied))
        let original = try db.read { conn in
            try conn.fetchValues("SELECT v FROM t WHERE id <= ? ORDER BY id", [copied], as: String.self)
        }
        #expect(try copy.fetchValues("SELECT v FROM t ORDER BY id", as: String.self) == original)
    }

    @Test func asyncBackupAndExistingDestinationRefused() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try DatabaseQueue(path: dir.path("a.db"), readerCount: 1)
        try await db.write { try $0.execute("CREATE TABLE t(x); INSERT INTO t VALUES (1);") }
        try await db.backup(to: dir.path("copy.db"))
        let again = await #expect(throws: SQLiteError.self) { try await db.backup(to: dir.path("copy.db")) }
        #expect(again?.description.contains("already holds a database") == true)
        let copy = try Connection(path: dir.path("copy.db"))
        #expect(try copy.fetchValue("SELECT x FROM t", as: Int.self) == 1)
        #expect(throws: SQLiteError.self) { try copy.backup(to: dir.path("other.db"), pagesPerStep: 0) }
    }

    @Test func randomBytesAreRejectedAsNotADatabase() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("junk.db")
        try Data(randomBytes(8192)).write(to: URL(fileURLWithPath: path))
        for access in [Connection.Options.Access.readWriteCreate, .readOnly] {
            let error = #expect(throws: SQLiteError.self) { try Connection(path: path, options: .init(access: access)) }
            #expect(error?.isCorrupt == true)
            #expect(error?.primaryCode == SQLITE_NOTADB)
            #expect(error?.description.contains("file is not a database") == true)
        }
        let queueError = #expect(throws: SQLiteError.self) { try DatabaseQueue(path: path) }
        #expect(queueError?.isCorrupt == true)
    }

    @Test func damagedPageIsReportedNotCrashedOn() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("a.db")
        let db = try Connection(path: path)
        try fill(db, rows: 200)
        #expect(try db.integrityCheck() == [])
        try db.close()

        // Overwrite the table's root page (page 2, bytes 4096..<8192) with noise.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: Data(randomBytes(4096)))
        try handle.close()

        do {
            let damaged = try Connection(path: path)
            let problems = try damaged.integrityCheck(maxErrors: 10)
            #expect(!problems.isEmpty && problems.count <= 10)
            // Reading the damaged table either fails as corrupt or returns what it can; never crashes.
            do {
                _ = try damaged.fetchAll("SELECT v, b FROM t") { row in try row.sqliteValue(at: 0) }
            } catch let error as SQLiteError {
                #expect(error.isCorrupt || error.primaryCode == SQLITE_ERROR, "\(error)")
            }
        } catch let error as SQLiteError {
            #expect(error.isCorrupt, "\(error)")
        }
    }
}
