import Foundation
import Testing

@testable import SQLiteStore

@Suite struct DatabaseQueueTests {
    static let migrator = Result {
        try Migrator([
            Migration(version: 1, name: "t", sql: "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL);")
        ])
    }

    func makeQueue(_ dir: TemporaryDirectory, readers: Int = 2) throws -> DatabaseQueue {
        try DatabaseQueue(path: dir.path("a.db"), readerCount: readers, migrator: try Self.migrator.get())
    }

    @Test func readersSeeCommittedDataWhileAWriteIsOpen() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try makeQueue(dir)
        try db.write { try $0.execute("INSERT INTO t(v) VALUES (?)", ["first"]) }

        let inside = DispatchSemaphore(value: 0)
        let proceed = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let writeResult = Shared<String>("not run")
        DispatchQueue.global().async {
            do {
                try db.write { conn in
                    try conn.execute("INSERT INTO t(v) VALUES (?)", ["second"])
                    inside.signal()
                    _ = waitLong(proceed)
                }
                writeResult.value = "committed"
            } catch {
                writeResult.value = "\(error)"
            }
            finished.signal()
        }
        #expect(waitLong(inside))
        // The writer holds its transaction open; WAL readers are not blocked and see the old state.
        let during = try db.read { try $0.fetchValues("SELECT v FROM t ORDER BY id", as: String.self) }
        proceed.signal()
        #expect(during == ["first"])
        #expect(waitLong(finished))
        #expect(writeResult.value == "committed")
        #expect(try db.read { try $0.fetchValue("SELECT count(*) FROM t", as: Int.self) } == 2)
    }

    @Test func asyncAPIFromManyTasks() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try makeQueue(dir, readers: 2)
        let taskCount = 40
        let seen = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 0..<taskCount {
                group.addTask {
                    let id = try await db.write { conn in
                        try conn.execute("INSERT INTO t(v) VALUES (?)", ["task \(n)"])
                        return try conn.lastInsertRowID
                    }
                    return try await db.read { conn in
                        try conn.fetchValue("SELECT count(*) FROM t WHERE id = ?", [id], as: Int.self) ?? 0
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        // Every task read back its own committed row.
        #expect(seen == taskCount)
        let total = try await db.read { try $0.fetchValue("SELECT count(DISTINCT v) FROM t", as: Int.self) }
        #expect(total == taskCount)
    }

    @Test func anUnsyncedWriteCommitsWithoutSyncAndTheWriterGoesBackToFull() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try makeQueue(dir)
        let inside = try await db.writeWithoutSync { conn in
            try conn.execute("INSERT INTO t(v) VALUES (?)", ["kept"])
            return try conn.fetchValue("PRAGMA synchronous", as: Int.self)
        }
        #expect(inside == 1)
        #expect(try await db.write { try $0.fetchValue("PRAGMA synchronous", as: Int.self) } == 2)
        #expect(try await db.read { try $0.fetchValue("SELECT count(*) FROM t", as: Int.self) } == 1)

        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await db.writeWithoutSync { conn in
                try conn.execute("INSERT INTO t(v) VALUES (?)", ["gone"])
                throw Refused()
            }
        }
        #expect(try await db.write { try $0.fetchValue("PRAGMA synchronous", as: Int.self) } == 2)
        #expect(try await db.read { try $0.fetchValue("SELECT count(*) FROM t", as: Int.self) } == 1)
    }

    @Test func asyncWriteRollsBackOnThrow() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try makeQueue(dir)
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await db.write { conn in
                try conn.execute("INSERT INTO t(v) VALUES (?)", ["gone"])
                throw Refused()
            }
        }
        #expect(try await db.read { try $0.fetchValue("SELECT count(*) FROM t", as: Int.self) } == 0)
    }

    @Test func readersAreReadOnlyAndReentrantUseIsRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try makeQueue(dir, readers: 1)
        let readOnly = #expect(throws: SQLiteError.self) {
            try db.read { try $0.execute("INSERT INTO t(v) VALUES (?)", ["x"]) }
        }
        #expect(readOnly?.isReadOnly == true)
        // Each of these would deadlock on a serial queue or a one-reader pool; they throw instead.
        #expect(throws: SQLiteError.self) { try db.write { _ in try db.write { _ in } } }
        #expect(throws: SQLiteError.self) { try db.read { _ in try db.read { _ in } } }
        #expect(throws: SQLiteError.self) { try db.read { _ in try db.write { _ in } } }
        #expect(throws: SQLiteError.self) { try db.read { _ in try db.backup(to: dir.path("b.db")) } }
        #expect(throws: SQLiteError.self) { try db.write { _ in try db.backup(to: dir.path("b.db")) } }
        // Reading from inside a write is fine: readers never wait for the writer.
        let count = try db.write { conn in
            try conn.execute("INSERT INTO t(v) VALUES (?)", ["uncommitted"])
            return try db.read { try $0.fetchValue("SELECT count(*) FROM t", as: Int.self) }
        }
        #expect(count == 0)
    }

    @Test func refusesBadConfiguration() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(throws: SQLiteError.self) { try DatabaseQueue(path: dir.path("a.db"), readerCount: 0) }
        #expect(throws: SQLiteError.self) {
            try DatabaseQueue(path: dir.path("a.db"), options: .init(access: .readOnly))
        }
    }
}
