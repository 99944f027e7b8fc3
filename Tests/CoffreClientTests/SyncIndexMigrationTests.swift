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
