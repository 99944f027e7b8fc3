import CoffreProtocol
import CoffreServer
import Foundation
import SQLiteStore
import Testing

/// Migration 0004 (`CommitOrderSchema`) upgrades a database written with the schema before it
/// in place: every entry, revision and blob reference is still reachable through the store's
/// API, and the store goes on committing, pruning and checking on the new keys.
@Suite struct CommitOrderMigrationTests {
    private typealias F = SyncFixture

    /// A database at schema 3 holding a vault with a folder (rev 1) and a file in it with two
    /// revisions (revs 2 and 3), the second listing one blob twice; the file was created first
    /// by revision id, so the numbering follows the first revision, not the table order.
    private struct OldDatabase {
        let directory: URL
        let path: String
        let vault = F.randomVaultID()
        let folder = F.randomEntryID()
        let file = F.randomEntryID()
        let blob = F.blob("old")

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-migrate-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            path = directory.appendingPathComponent(ServerDatabase.fileName).path
            let db = try Connection(path: path)
            try Migrator(Array(ServerDatabase.migrations.prefix(3))).migrate(db)
            try db.execute("INSERT INTO users (id, name, created_at) VALUES (1, 'user1', 0)")
            try db.execute(
                "INSERT INTO vaults (id, public_id, name, seq, created) VALUES (1, ?, x'01', 3, 0)", [vault.bytes])
            try db.execute("INSERT INTO vault_members (vault, user_id, role, added) VALUES (1, 1, 'owner', 0)")
            try db.execute(
                "INSERT INTO vault_keys (vault, user_id, generation, wrapped_key) VALUES (1, 1, 1, ?)",
                [F.grant(1, 1).bytes])
            try db.execute("INSERT INTO blobs (vault, hash, size, created) VALUES (1, ?, 10, 0)", [blob.bytes])
            let revisions: [(id: Int64, entry: EntryID, rev: Int64, parent: EntryID, kind: Int64, name: String, marker: UInt8)] = [
                (1, file, 2, folder, 1, "f", 21), (2, folder, 1, .root, 2, "d", 11), (3, file, 3, folder, 1, "f", 31),
            ]
            for r in revisions {
                try db.execute(
                    """
                    INSERT INTO revisions (id, vault, entry_id, rev, parent_id, kind, name_tag, deleted, record, created)
                    VALUES (?, 1, ?, ?, ?, ?, ?, 0, ?, 0)
                    """, [r.id, r.entry.bytes, r.rev, r.parent.bytes, r.kind, F.tag(r.name).bytes, F.record(r.marker).bytes])
            }
            try db.execute(
                "INSERT INTO revision_blobs (revision, vault, hash, occurrences) VALUES (3, 1, ?, 2), (1, 1, ?, 1)",
                [blob.bytes, blob.bytes])
            try db.execute(
                """
                INSERT INTO entries (vault, entry_id, parent_id, kind, name_tag, deleted, rev, head)
                VALUES (1, ?, zeroblob(16), 2, ?, 0, 1, 2), (1, ?, ?, 1, ?, 0, 3, 3)
                """, [folder.bytes, F.tag("d").bytes, file.bytes, folder.bytes, F.tag("f").bytes])
            try db.close()
        }

        func open() throws -> SyncStore {
            SyncStore(database: try ServerDatabase(path: path, readerCount: 1))
        }
    }

    @Test func upgradesInPlaceKeepingHistoryFeedAndReferences() async throws {
        let old = try OldDatabase()
        defer { try? FileManager.default.removeItem(at: old.directory) }
        let store = try old.open()

        let version = try await store.database.queue.read { db in try Migrator.userVersion(of: db) }
        #expect(version == ServerDatabase.migrations.count)
        // The file's first revision has the smaller id: it is entry 1, the folder entry 2.
        let numbering = try await store.database.queue.read { db in
            try db.fetchAll("SELECT entry_id, id FROM entries ORDER BY id") { row in
                (entry: EntryID(bytes: try row.blob(at: 0)), id: try row.int64(at: 1))
            }
        }
        #expect(numbering.map(\.entry) == [old.file, old.folder] && numbering.map(\.id) == [1, 2])

        let history = try await store.revisions(old.vault, user: 1, entry: old.file, limit: 10)
        #expect(history.revisions.map(\.rev) == [3, 2])
        #expect(history.revisions.map(\.record) == [F.record(31), F.record(21)])
        #expect(history.revisions.map(\.blobs) == [[old.blob, old.blob], [old.blob]])
        let feed = try await store.changes(old.vault, user: 1, since: 0, limit: 10)
        #expect(feed.entries.map(\.entryId) == [old.folder, old.file] && feed.cursor == 3)
        #expect(try await store.checkConsistency().isConsistent)
        // The blob's references were counted: one row of each of the file's two revisions.
        let refs = "SELECT refs FROM blobs"
        #expect(try await store.database.queue.read { db in try db.fetchValues(refs, as: Int64.self) } == [2])

        // The upgraded store commits on the new keys: an update of an old entry and a new one.
        let added = F.randomEntryID()
        let outcome = try await store.commit(
            old.vault, user: 1,
            CommitRequest(changes: [
                F.file(old.file, in: old.folder, named: "f", base: 3, marker: 41),
                F.file(added, in: old.folder, named: "g", blobs: [old.blob]),
            ]))
        #expect(outcome == .committed(CommitReceipt(seq: 4, replayed: false)))
        #expect(try await store.revisions(old.vault, user: 1, entry: old.file, limit: 10).revisions.map(\.rev) == [4, 3, 2])
        #expect(try await store.revisions(old.vault, user: 1, entry: added, limit: 10).revisions.map(\.blobs) == [[old.blob]])
        #expect(try await store.database.queue.read { db in try db.fetchValues(refs, as: Int64.self) } == [3])
        #expect(try await store.checkConsistency().isConsistent)
        let problems = try await store.database.queue.read { db in
            try db.integrityCheck() + (try db.fetchValues("PRAGMA foreign_key_check", as: String.self))
        }
        #expect(problems.isEmpty)
    }

    @Test func revisionsOfVanishedEntriesAreNotCarriedOver() async throws {
        let old = try OldDatabase()
        defer { try? FileManager.default.removeItem(at: old.directory) }
        // Damage the old file: the file's entry row is gone, its revisions and references stay.
        let damage = try Connection(path: old.path)
        try damage.execute("DELETE FROM entries WHERE entry_id = ?", [old.file.bytes])
        try damage.close()

        let store = try old.open()
        let left = try await store.database.queue.read { db in
            (
                revisions: try db.fetchValues("SELECT id FROM revisions ORDER BY id", as: Int64.self),
                references: try db.fetchValue("SELECT count(*) FROM revision_blobs", as: Int64.self)
            )
        }
        #expect(left.revisions == [2] && left.references == 0)
        #expect(try await store.database.queue.read { db in try db.fetchValues("SELECT refs FROM blobs", as: Int64.self) } == [0])
        await #expect(throws: SyncError.entryNotFound) {
            _ = try await store.revisions(old.vault, user: 1, entry: old.file, limit: 10)
        }
        #expect(try await store.checkConsistency().isConsistent)
    }
}
