import CoffreProtocol
import CoffreServer
import Foundation
import SQLiteStore
import Testing

/// The schema itself: it refuses malformed rows, and its indexes serve the hot queries
/// (EXPLAIN QUERY PLAN, https://sqlite.org/eqp.html). The statements below have the shapes of
/// those in Sources/CoffreServer/Sync; a SCAN of a big table in any of them would make commits
/// or the feed slow down with the vault's size.
@Suite struct SyncSchemaTests {
    private func plan(_ fixture: SyncFixture, _ sql: String, _ arguments: StatementArguments) async throws -> String {
        let sendable = SendableArguments(arguments)
        return try await fixture.store.database.queue.read { db in
            try db.fetchAll("EXPLAIN QUERY PLAN " + sql, sendable.values) { row in try row.string(at: 3) }
        }.joined(separator: " | ")
    }

    @Test func hotQueriesUseTheirIndexes() async throws {
        let fixture = try await SyncFixture()
        let id = [UInt8](repeating: 1, count: 16)
        let tag = [UInt8](repeating: 2, count: 32)
        let cases: [(sql: String, arguments: StatementArguments, expected: String)] = [
            // The changes feed.
            (
                """
                SELECT e.entry_id, e.rev, r.record FROM entries e JOIN revisions r ON r.id = e.head
                WHERE e.vault = ? AND e.rev > ? ORDER BY e.rev, e.entry_id LIMIT ?
                """, [1, 0, 10], "USING INDEX entries_by_rev (vault=? AND rev>?)"
            ),
            // Compare-and-swap lookup of one entry.
            (
                "SELECT parent_id, kind, name_tag, deleted, rev FROM entries WHERE vault = ? AND entry_id = ?",
                [1, id], "USING INDEX sqlite_autoindex_entries_1 (vault=? AND entry_id=?)"
            ),
            // Live siblings holding a name.
            (
                "SELECT entry_id FROM entries WHERE vault = ? AND parent_id = ? AND name_tag = ? AND deleted = 0",
                [1, id, tag], "USING COVERING INDEX entries_live_children (vault=? AND parent_id=? AND name_tag=?"
            ),
            // Live children of a folder that is being deleted.
            (
                "SELECT entry_id FROM entries WHERE vault = ? AND parent_id = ? AND deleted = 0 LIMIT ?",
                [1, id, 10], "USING COVERING INDEX entries_live_children (vault=? AND parent_id=?)"
            ),
            // The trash.
            (
                "SELECT entry_id FROM entries e WHERE e.vault = ? AND e.deleted = 1 AND e.rev < ? ORDER BY e.rev DESC LIMIT ?",
                [1, 100, 10], "entries_trash (vault=? AND rev<?)"
            ),
            // An entry's history.
            (
                "SELECT id FROM revisions WHERE entry = ? AND rev < ? ORDER BY rev DESC LIMIT ?",
                [1, 100, 10], "sqlite_autoindex_revisions_1 (entry=? AND rev<?)"
            ),
            // Revisions older than the retention cutoff.
            (
                "SELECT id FROM revisions r WHERE r.vault = ? AND r.created < ?", [1, 100],
                "revisions_by_age (vault=? AND created<?)"
            ),
            // Is a blob still referenced? (blobs.refs, kept by triggers)
            (
                "SELECT size FROM blobs b WHERE b.vault = ? AND b.hash = ? AND b.refs = 0", [1, tag],
                "USING PRIMARY KEY (vault=? AND hash=?)"
            ),
            // The blobs a revision references (history, pruning).
            (
                "SELECT hash, occurrences FROM revision_blobs WHERE revision = ? ORDER BY hash", [1],
                "USING PRIMARY KEY (revision=?)"
            ),
            // A GC scan window.
            (
                "SELECT vault, hash FROM blobs WHERE (vault, hash) > (?, ?) ORDER BY vault, hash LIMIT 1 OFFSET ?",
                [0, [UInt8](), 10], "USING PRIMARY KEY ((vault,hash)>(?,?))"
            ),
            // Forgetting old commit ids: the vault's rows through the primary key prefix
            // (no index on seq since migration 0006).
            (
                "DELETE FROM commits WHERE vault = ? AND seq <= ?", [1, 10],
                "USING PRIMARY KEY (vault=?)"
            ),
            // The vaults of a user.
            (
                "SELECT vault FROM vault_members WHERE user_id = ?", [1],
                "USING COVERING INDEX vault_members_by_user (user_id=?)"
            ),
        ]
        for (sql, arguments, expected) in cases {
            let text = try await plan(fixture, sql, arguments)
            #expect(text.contains(expected), "plan of \(sql): \(text)")
        }
    }

    /// The set-based lookups: ids packed into one BLOB, cut by a recursive CTE, each looked up
    /// in a primary key.
    @Test func packedIdLookupsUseThePrimaryKeys() async throws {
        let fixture = try await SyncFixture()
        func packed(_ width: Int) -> String {
            """
            WITH RECURSIVE ids(n, id) AS (
                SELECT 0, substr(?1, 1, \(width))
                UNION ALL
                SELECT n + 1, substr(?1, (n + 1) * \(width) + 1, \(width)) FROM ids WHERE (n + 1) * \(width) < length(?1)
            )
            """
        }
        let missing = try await plan(
            fixture,
            packed(32)
                + " SELECT id FROM ids WHERE NOT EXISTS (SELECT 1 FROM blobs WHERE blobs.vault = ?2 AND blobs.hash = ids.id)",
            [[UInt8](repeating: 0, count: 64), 1])
        #expect(missing.contains("USING PRIMARY KEY (vault=? AND hash=?)"), "\(missing)")
        let states = try await plan(
            fixture,
            packed(16) + " SELECT e.entry_id, e.rev FROM ids JOIN entries e ON e.vault = ?2 AND e.entry_id = ids.id",
            [[UInt8](repeating: 0, count: 32), 1])
        #expect(states.contains("SEARCH e USING INDEX sqlite_autoindex_entries_1 (vault=? AND entry_id=?)"), "\(states)")
    }

    @Test func rowsThatBreakTheSchemaAreRefused() async throws {
        let fixture = try await SyncFixture()
        let vault = try await fixture.vault()
        let hostile: [(String, StatementArguments)] = [
            ("INSERT INTO blobs (vault, hash, size, created) VALUES (1, ?, 1, 0)", [[UInt8](repeating: 0, count: 31)]),
            ("INSERT INTO blobs (vault, hash, size, created) VALUES (1, ?, -1, 0)", [[UInt8](repeating: 0, count: 32)]),
            (
                "INSERT INTO blobs (vault, hash, size, created) VALUES (1, ?, 'big', 0)",
                [[UInt8](repeating: 0, count: 32)]
            ),
            ("INSERT INTO blobs (vault, hash, size, created) VALUES (77, ?, 1, 0)", [[UInt8](repeating: 0, count: 32)]),
            ("INSERT INTO vault_members (vault, user_id, role, added) VALUES (1, 2, 'admin', 0)", []),
            ("INSERT INTO vault_members (vault, user_id, role, added) VALUES (1, 99, 'read', 0)", []),
            (
                "INSERT INTO revision_blobs (revision, vault, hash, occurrences) VALUES (1, 1, ?, 1)",
                [[UInt8](repeating: 0, count: 32)]
            ),
        ]
        for (sql, arguments) in hostile {
            let sendable = SendableArguments(arguments)
            await #expect(throws: SQLiteError.self, "\(sql)") {
                try await fixture.store.database.queue.write { db in try db.execute(sql, sendable.values) }
            }
        }
        #expect(try await fixture.store.vaults(user: 1).vaults.map(\.vaultId) == [vault])
    }

    /// `blobs.refs` counts the revision_blobs rows naming each blob, whatever removes them, and
    /// stands in for the foreign key: a reference to an unrecorded blob and the deletion of a
    /// referenced blob are refused, a vault's deletion still removes everything.
    @Test func blobReferencesAreCountedAndGuarded() async throws {
        let fixture = try await SyncFixture()
        let vault = try await fixture.vault()
        let (kept, shared, unknown) = (SyncFixture.blob("kept"), SyncFixture.blob("shared"), SyncFixture.blob("unknown"))
        try await fixture.store(blobs: [kept, shared], in: vault)
        let file = SyncFixture.randomEntryID()
        try await fixture.commit(vault, [SyncFixture.file(file, named: "a", blobs: [kept, kept, shared])])
        try await fixture.commit(vault, [SyncFixture.file(file, named: "a", base: 1, blobs: [shared])])
        let refs = "SELECT refs FROM blobs ORDER BY hash = ?"
        #expect(try await fixture.integers(refs, [kept.bytes]) == [2, 1])

        let hostile: [(String, StatementArguments)] = [
            (
                "INSERT INTO revision_blobs (revision, vault, hash, occurrences) SELECT max(id), 1, ?, 1 FROM revisions",
                [unknown.bytes]
            ),
            ("DELETE FROM blobs WHERE hash = ?", [shared.bytes]),
            ("UPDATE blobs SET refs = -1 WHERE hash = ?", [kept.bytes]),
        ]
        for (sql, arguments) in hostile {
            let sendable = SendableArguments(arguments)
            await #expect(throws: SQLiteError.self, "\(sql)") {
                try await fixture.store.database.queue.write { db in try db.execute(sql, sendable.values) }
            }
        }
        #expect(try await fixture.integers(refs, [kept.bytes]) == [2, 1])

        _ = try await fixture.store.deleteVault(vault, user: 1)
        #expect(try await fixture.integer("SELECT count(*) FROM blobs") == 0)
        #expect(try await fixture.integer("SELECT count(*) FROM revision_blobs") == 0)
    }
}
