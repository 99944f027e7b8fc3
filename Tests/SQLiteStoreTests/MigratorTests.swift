import Foundation
import Testing

@testable import SQLiteStore

@Suite struct MigratorTests {
    static let users = Migration(
        version: 1, name: "users", sql: "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL);")
    static let devices = Migration(
        version: 2, name: "devices",
        sql: """
            CREATE TABLE devices(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id));
            ALTER TABLE users ADD COLUMN created INTEGER NOT NULL DEFAULT 0;
            """)

    func tables(_ db: Connection) throws -> [String] {
        try db.fetchValues("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name", as: String.self)
    }

    @Test func appliesPendingMigrationsOnceAndInOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        // Given out of order; the second depends on the first.
        let migrator = try Migrator([Self.devices, Self.users])
        #expect(migrator.latestVersion == 2)
        #expect(try migrator.migrate(db) == [1, 2])
        #expect(try Migrator.userVersion(of: db) == 2)
        #expect(try tables(db) == ["devices", "users"])
        #expect(try migrator.migrate(db) == [])

        let partial = try Connection(path: dir.path("b.db"))
        #expect(try Migrator([Self.users]).migrate(partial) == [1])
        #expect(try migrator.migrate(partial) == [2])
    }

    @Test func failingMigrationLeavesVersionAndSchemaUntouched() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        let broken = Migration(
            version: 2, name: "broken", sql: "CREATE TABLE devices(id INTEGER); INSERT INTO nowhere VALUES (1);")
        let error = #expect(throws: SQLiteError.self) { try Migrator([Self.users, broken]).migrate(db) }
        guard case .migrationFailed(let version, let name, let underlying) = error else {
            Issue.record("expected migrationFailed, got \(String(describing: error))")
            return
        }
        #expect(version == 2 && name == "broken")
        #expect(underlying.description.contains("no such table: nowhere"))
        #expect(try Migrator.userVersion(of: db) == 1)
        #expect(try tables(db) == ["users"])
        #expect(!db.isInTransaction)
    }

    @Test func newerDatabaseIsRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("a.db")
        let db = try Connection(path: path)
        try Migrator([Self.users, Self.devices]).migrate(db)
        try db.close()

        let error = #expect(throws: SQLiteError.self) {
            try DatabaseQueue(path: path, migrator: try Migrator([Self.users]))
        }
        #expect(error == .databaseTooNew(userVersion: 2, latestKnown: 1))
        let reopened = try Connection(path: path)
        #expect(try Migrator.userVersion(of: reopened) == 2)
    }

    @Test func migrationListMustBeContiguousFromOne() {
        #expect(throws: SQLiteError.self) { try Migrator([Self.devices]) }
        #expect(throws: SQLiteError.self) { try Migrator([Self.users, Self.users]) }
        #expect(throws: SQLiteError.self) { try Migrator([Migration(version: 0, name: "zero", sql: "")]) }
        #expect(throws: Never.self) { try Migrator([]) }
    }

    @Test func scriptsMayNotEndTheTransactionOrLeaveBrokenReferences() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try Connection(path: dir.path("a.db"))
        let committing = Migration(version: 1, name: "commits", sql: "CREATE TABLE x(a); COMMIT;")
        let error = #expect(throws: SQLiteError.self) { try Migrator([committing]).migrate(db) }
        #expect(error?.description.contains("ended the migration's transaction") == true)
        #expect(try Migrator.userVersion(of: db) == 0)

        let other = try Connection(path: dir.path("b.db"))
        let orphan = Migration(
            version: 1, name: "orphan",
            sql: """
                CREATE TABLE parent(id INTEGER PRIMARY KEY);
                CREATE TABLE child(parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
                INSERT INTO child VALUES (7);
                """)
        let violation = #expect(throws: SQLiteError.self) { try Migrator([orphan]).migrate(other) }
        #expect(violation?.description.contains("foreign key violations in child") == true)
        #expect(try tables(other) == [])
    }

    @Test func loadsNumberedFilesFromADirectory() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let migrations = dir.url.appendingPathComponent("Migrations")
        try FileManager.default.createDirectory(at: migrations, withIntermediateDirectories: true)
        try Self.users.sql.write(
            to: migrations.appendingPathComponent("0001-users.sql"), atomically: true, encoding: .utf8)
        try Self.devices.sql.write(
            to: migrations.appendingPathComponent("0002-devices.sql"), atomically: true, encoding: .utf8)
        try "notes".write(to: migrations.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)

        let migrator = try Migrator(directory: migrations)
        #expect(migrator.migrations == [Self.users, Self.devices])
        let db = try Connection(path: dir.path("a.db"))
        #expect(try migrator.migrate(db) == [1, 2])
    }

    @Test func rejectsBadMigrationFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        func directory(_ files: [String: [UInt8]]) throws -> URL {
            let url = dir.url.appendingPathComponent(UUID().uuidString)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            for (name, bytes) in files { try Data(bytes).write(to: url.appendingPathComponent(name)) }
            return url
        }
        let sql = Array("CREATE TABLE t(x);".utf8)
        for badName in ["users.sql", "0001.sql", "0001-.sql", "x001-users.sql", "0001-us ers.sql", "0000-zero.sql",
                        "1234567890-long.sql", "0001-ünïcode.sql"] {
            let url = try directory([badName: sql])
            #expect(throws: SQLiteError.self, "\(badName)") { try Migrator(directory: url) }
        }
        let duplicate = try directory(["0001-a.sql": sql, "1-b.sql": sql])
        #expect(throws: SQLiteError.self) { try Migrator(directory: duplicate) }
        let gap = try directory(["0001-a.sql": sql, "0003-c.sql": sql])
        #expect(throws: SQLiteError.self) { try Migrator(directory: gap) }
        let notUTF8 = try directory(["0001-a.sql": [0x43, 0xFF, 0xFE]])
        #expect(throws: SQLiteError.self) { try Migrator(directory: notUTF8) }
        let huge = try directory(["0001-a.sql": [UInt8](repeating: 0x20, count: Migration.maximumFileSize + 1)])
        #expect(throws: SQLiteError.self) { try Migrator(directory: huge) }
        #expect(throws: SQLiteError.self) { try Migrator(directory: dir.url.appendingPathComponent("missing")) }
    }
}
