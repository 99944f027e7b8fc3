@testable import CoffreClient
import CoffreProtocol
import Foundation
import HTTPServer
import SQLiteStore
import Testing

/// An index written by the first schema opens under the current one: migration 2 adds the
/// records' dead properties, and rows written before it read as having none; migration 3 adds
/// the files' ctime, and rows written before it read as not knowing it (so they are never
/// copied on metadata alone).
@Suite struct SyncIndexMigrationTests {
    @Test func anIndexOfTheFirstSchemaUpgradesAndKeepsItsRows() async throws {
        let tree = try TemporaryTree()
        let folder = tree.absolute(ReservedNames.stateFolder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let entryID = EntryID(high: 7, low: 9)
        do {
            let db = try Connection(path: folder + "/" + SyncIndex.fileName)
            #expect(try Migrator(Array(SyncIndexSchema.migrations.prefix(1))).migrate(db) == [1])
            try db.execute("INSERT INTO state (id, vault_id, cursor, highest_seq) VALUES (1, ?, 0, 0)", [SyncIndexTests.vault.bytes])
            let firstColumns = SyncIndexSchema.entryColumnNames.filter { $0 != "dead_properties" && $0 != "local_ctime" }
            #expect(firstColumns.count == SyncIndexSchema.entryColumnNames.count - 2)
            let values: StatementArguments = [
                entryID.bytes, EntryID.root.bytes, EntryKind.file.code, Int64(3), false, "old.txt", Int64(1_000), Int64(0o644),
                Int64(5), nil, StoredManifest.Form.none.rawValue, [UInt8](), Int64(1), [UInt8](), "old.txt", Array("old.txt".utf8),
                Int64(11), Int64(12), Int64(5), Int64(1_000), Int64(0o644),
            ]
            try db.execute(
                "INSERT INTO synced (\(firstColumns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: firstColumns.count).joined(separator: ", ")))",
                values)
            try db.close()
        }
        let (_, index) = try await SyncIndexTests.open(tree)
        let entries = try await index.syncedEntries()
        let entry = try #require(entries[entryID])
        #expect(entry.attributes.name == "old.txt" && entry.rev == 3 && entry.local.inode == 11)
        #expect(entry.attributes.deadProperties.isEmpty)
        #expect(entry.local.changeTime == 0)
        #expect(!entry.local.provesContent(of: entry.local.expectedMetadata), "an unknown ctime proves nothing")
    }
}

/// Migration 4 moves a pending commit's request out of `pending_commits`: a commit written
/// down by the schema before it is still sent with the very same request after the upgrade,
/// and landing it removes its request and entries with it.
@Suite struct PendingRequestMigrationTests {
    @Test func aCommitPendingBeforeTheUpgradeKeepsItsRequest() async throws {
        let tree = try TemporaryTree()
        let folder = tree.absolute(ReservedNames.stateFolder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let tag = try #require(NameTag(bytes: [UInt8](repeating: 5, count: 32)))
        let entryID = EntryID(high: 3, low: 4)
        let request = CommitRequest(
            commitId: LocalPublisher.newCommitID(),
            changes: [
                EntryChange(entryId: entryID, baseRev: 0, parentId: .root, kind: .file, nameTag: tag, record: Base64Bytes([9, 8, 7]))
            ])
        let commitID = try #require(request.commitId)
        do {
            let db = try Connection(path: folder + "/" + SyncIndex.fileName)
            #expect(try Migrator(Array(SyncIndexSchema.migrations.prefix(3))).migrate(db) == [1, 2, 3])
            try db.execute("INSERT INTO state (id, vault_id, cursor, highest_seq) VALUES (1, ?, 0, 0)", [SyncIndexTests.vault.bytes])
            try db.execute(
                "INSERT INTO pending_commits (commit_id, request, position) VALUES (?, ?, 1)",
                [commitID.bytes, Array(try JSONEncoder().encode(request))])
            let columns = SyncIndexSchema.entryColumnNames + ["commit_id", "tombstone", "name_tag"]
            let values: StatementArguments = [
                entryID.bytes, EntryID.root.bytes, EntryKind.file.code, Int64(0), false, "a.txt", Int64(1_000), Int64(0o644),
                Int64(3), nil, StoredManifest.Form.none.rawValue, [UInt8](), Int64(1), [UInt8](), "a.txt", Array("a.txt".utf8),
                Int64(11), Int64(12), Int64(3), Int64(1_000), Int64(0o644), [UInt8](), Int64(13), commitID.bytes, false, tag.bytes,
            ]
            let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
            try db.execute("INSERT INTO pending_entries (\(columns.joined(separator: ", "))) VALUES (\(placeholders))", values)
            try db.close()
        }
        let (_, index) = try await SyncIndexTests.open(tree)
        let pending = try await index.pendingCommits()
        try #require(pending.count == 1)
        #expect(pending[0].request == request)
        #expect(pending[0].entries.map(\.state.id) == [entryID] && pending[0].entries[0].nameTag == tag)

        try await index.completePendingCommit(pending[0], seq: 7)
        #expect(try await index.pendingCommits().isEmpty)
        let leftovers = try await index.read("count what a landed commit left") { db in
            [try db.fetchValue("SELECT count(*) FROM pending_requests", as: Int.self) ?? -1,
             try db.fetchValue("SELECT count(*) FROM pending_entries", as: Int.self) ?? -1]
        }
        #expect(leftovers == [0, 0], "the request and the entries go with their commit")
    }

    @Test func aStoredRequestThatDoesNotDecodeIsRefused() async throws {
        let tree = try TemporaryTree()
        let (_, index) = try await SyncIndexTests.open(tree)
        let request = CommitRequest(commitId: LocalPublisher.newCommitID(), changes: [])
        try await index.addPendingCommit(PendingCommit(request: request, entries: []))
        #expect(try await index.pendingCommits().map(\.request) == [request], "stored in binary, read back")
        for garbage: [UInt8] in [[], [1, 1, 0], Array("{\"changes\":".utf8), [9] + request.binaryEncoded().dropFirst()] {
            try await index.write("corrupt the request") { db in try db.execute("UPDATE pending_requests SET request = ?", [garbage]) }
            await #expect(throws: SyncClientError.self) { _ = try await index.pendingCommits() }
        }
    }
}
