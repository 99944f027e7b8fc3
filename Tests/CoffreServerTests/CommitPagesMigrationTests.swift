import CoffreProtocol
import Foundation
import SQLiteStore
import Testing

@testable import CoffreServer

/// Migration 0006 (`CommitPagesSchema`) drops `blobs_by_age` and `commits_by_seq` from a
/// database written before it, and the store goes on remembering commit ids (now forgotten in
/// batches), collecting garbage and committing without them.
@Suite struct CommitPagesMigrationTests {
    private typealias F = SyncFixture

    /// A database at schema 5 with a vault at seq 3 whose three commits are remembered, and one
    /// blob recorded long ago that nothing references.
    private struct OldDatabase {
        let directory: URL
        let path: String
        let vault = F.randomVaultID()
        let blob = F.blob("old")
        let rememberedID = CommitID(high: 7, low: 7)

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-pages-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            path = directory.appendingPathComponent(ServerDatabase.fileName).path
            let db = try Connection(path: path)
            try Migrator(Array(ServerDatabase.migrations.prefix(5))).migrate(db)
            try db.execute("INSERT INTO users (id, name, created_at) VALUES (1, 'user1', 0)")
            try db.execute("INSERT INTO vaults (id, public_id, name, seq, created) VALUES (1, ?, x'01', 3, 0)", [vault.bytes])
            try db.execute("INSERT INTO vault_members (vault, user_id, role, added) VALUES (1, 1, 'owner', 0)")
            try db.execute(
                "INSERT INTO vault_keys (vault, user_id, generation, wrapped_key) VALUES (1, 1, 1, ?)", [F.grant(1, 1).bytes])
            try db.execute("INSERT INTO blobs (vault, hash, size, created) VALUES (1, ?, 10, 0)", [blob.bytes])
            for seq in 1...3 {
                let id = seq == 2 ? rememberedID : CommitID(high: 1, low: UInt64(seq))
                try db.execute(
                    "INSERT INTO commits (vault, commit_id, request_digest, seq, created) VALUES (1, ?, zeroblob(32), ?, 0)",
                    [id.bytes, seq])
            }
            try db.close()
        }

        func open() throws -> SyncStore {
            SyncStore(database: try ServerDatabase(path: path, readerCount: 1))
        }
    }

    @Test func upgradesInPlaceWithoutTheTwoIndexes() async throws {
        let old = try OldDatabase()
        defer { try? FileManager.default.removeItem(at: old.directory) }
        let store = try old.open()
        let (version, indexes) = try await store.database.queue.read { db in
            (
                try Migrator.userVersion(of: db),
                try db.fetchValues("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL", as: String.self)
            )
        }
        #expect(version == ServerDatabase.migrations.count && version >= 6)
        #expect(!indexes.contains("blobs_by_age") && !indexes.contains("commits_by_seq"))
        #expect(indexes.contains("entries_by_rev") && indexes.contains("revisions_by_age"))

        // The remembered ids survived: reusing one for other changes is still refused.
        let entry = F.randomEntryID()
        await #expect(throws: SyncError.commitIDReused) {
            _ = try await store.commit(old.vault, user: 1, CommitRequest(commitId: old.rememberedID, changes: [F.file(entry, named: "f")]))
        }
        // New commits are remembered and replayed as before.
        let request = CommitRequest(commitId: CommitID(high: 9, low: 9), changes: [F.file(entry, named: "f", blobs: [old.blob])])
        #expect(try await store.commit(old.vault, user: 1, request) == .committed(CommitReceipt(seq: 4, replayed: false)))
        #expect(try await store.commit(old.vault, user: 1, request) == .committed(CommitReceipt(seq: 4, replayed: true)))

        // GC still finds an old unreferenced blob by walking the primary key, and only that one.
        let unreferenced = F.blob("unreferenced")
        try await store.recordBlobs(old.vault, user: 1, [StoredBlob(id: unreferenced, size: 3)])
        let page = try await store.garbageCandidates(graceSeconds: 3_600)
        #expect(page.candidates.map(\.blob) == [])
        try await store.database.queue.write { db in try db.execute("UPDATE blobs SET created = 0") }
        #expect(try await store.garbageCandidates(graceSeconds: 3_600).candidates.map(\.blob) == [unreferenced])
        #expect(try await store.checkConsistency().isConsistent)
        #expect(try await store.database.queue.read { db in try db.integrityCheck() }.isEmpty)
    }

    @Test func aDatabaseFromBeforeItIsUpgradedOnlyOnce() async throws {
        let old = try OldDatabase()
        defer { try? FileManager.default.removeItem(at: old.directory) }
        _ = try old.open()
        // Reopening runs no migration again.
        let store = try old.open()
        #expect(try await store.database.queue.read { db in try Migrator.userVersion(of: db) } == ServerDatabase.migrations.count)
    }

    @Test func forgettingRunsEveryTenthOfTheWindow() {
        #expect(SyncStore.forgetInterval(remembering: 10_000) == 1_000)
        #expect(SyncStore.forgetInterval(remembering: 9) == 1)
        #expect(SyncStore.forgetInterval(remembering: 0) == 1)
        #expect(!SyncStore.forgetsCommitIDs(atSeq: 10_000, remembering: 10_000))
        #expect(!SyncStore.forgetsCommitIDs(atSeq: 10_999, remembering: 10_000))
        #expect(SyncStore.forgetsCommitIDs(atSeq: 11_000, remembering: 10_000))
        #expect(SyncStore.forgetsCommitIDs(atSeq: 3, remembering: 2))
    }

    @Test func commitIDsAreForgottenInBatchesKeepingTheWindow() async throws {
        var limits = SyncLimits()
        limits.rememberedCommitsPerVault = 20
        let fixture = try await F(limits: limits)
        let vault = try await fixture.vault()
        var requests: [CommitRequest] = []
        for seq in Int64(1)...31 {
            let request = CommitRequest(
                commitId: CommitID(high: 3, low: UInt64(seq)), changes: [F.file(F.randomEntryID(), named: "\(seq)")])
            requests.append(request)
            #expect(try await fixture.store.commit(vault, user: 1, request) == .committed(CommitReceipt(seq: seq, replayed: false)))
            // Every second commit past the window forgets; never fewer than the last 20 are kept.
            let expected: Int64 = seq <= 20 ? seq : (seq % 2 == 0 ? 20 : 21)
            #expect(try await fixture.integer("SELECT count(*) FROM commits") == expected, "after seq \(seq)")
            #expect(try await fixture.integer("SELECT min(seq) FROM commits") == seq - expected + 1)
        }
        // The oldest id of the window still replays; one forgotten is judged afresh (its entry
        // exists now, so its base revision conflicts).
        #expect(try await fixture.store.commit(vault, user: 1, requests[11]) == .committed(CommitReceipt(seq: 12, replayed: true)))
        guard case .rejected = try await fixture.store.commit(vault, user: 1, requests[0]) else {
            Issue.record("a forgotten commit id was replayed")
            return
        }
        // A commit without an id forgets on schedule too.
        try await fixture.commit(vault, [F.file(F.randomEntryID(), named: "no id")])
        #expect(try await fixture.integer("SELECT min(seq) FROM commits") == 13)
    }
}
