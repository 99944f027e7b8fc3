@testable import CoffreClient
import CoffreProtocol
import Foundation
import HTTPServer
import Testing

/// The local index on its own: the scan order of the synced tree, the merge join, pending
/// commits and the vault it belongs to.
@Suite struct SyncIndexTests {
    static let vault = VaultID(high: 1, low: 2)

    static func open(_ tree: TemporaryTree, vault: VaultID = vault) async throws -> (SyncRoot, SyncIndex) {
        let path = tree.path
        return try await HTTPBlockingWork.run {
            let root = try SyncRoot(path: path)
            return (root, try SyncIndex(root: root, vault: vault))
        }
    }

    static func agreed(_ entry: ScannedEntry, rev: Int64 = 1) -> SyncedEntry {
        let target: String? = if case .symlink(let target) = entry.kind { target } else { nil }
        return SyncedEntry(
            id: LocalPlanner.newEntryID(), parentID: .root, kind: entry.kind.entryKind, rev: rev, remoteDeleted: false,
            attributes: EntryAttributes(
                name: NameEquivalence.nfc(String(entry.path.name)), modificationTime: entry.metadata.modificationTime,
                mode: entry.metadata.mode & 0o777, size: UInt64(entry.metadata.size), symlinkTarget: target,
                manifest: .none, generation: 1),
            chunks: [], path: entry.path.onDisk, local: LocalIdentity(entry.metadata))
    }

    static func snapshot(_ root: SyncRoot, _ index: SyncIndex) async throws -> LocalSnapshot {
        try await index.read("test snapshot") { db in try LocalSnapshot.take(root: root, options: ScanOptions(), comparingWith: db) }
    }

    @Test func theSortKeyOrdersPathsAsTheScanDoes() throws {
        let tree = try TemporaryTree()
        for folder in ["a", "a b", "a/x", "a.d", "Z"] { try tree.folder(folder) }
        for file in ["a/x/1", "a/y", "a.txt", "a-b", "a b/c", "é", "e\u{301}", "a.d/z", "Z/q"] { try tree.write(file) }
        // NFC "é" and NFD "é" are two files here; compare bytes, not Strings.
        let scanOrder = Array(try tree.root().scan()).order.map { Array($0.utf8) }
        let byKey = scanOrder.shuffled().sorted { SyncedEntry.sortKey(String(decoding: $0, as: UTF8.self))
            .lexicographicallyPrecedes(SyncedEntry.sortKey(String(decoding: $1, as: UTF8.self))) }
        #expect(scanOrder.count == 14)
        #expect(byKey == scanOrder)
    }

    @Test func theMergeJoinCountsOnlyDifferences() async throws {
        let tree = try TemporaryTree()
        try tree.folder("docs")
        try tree.write("docs/a.txt", "a")
        try tree.write("docs/b.txt", "b")
        try tree.symlink("link", to: "docs/a.txt")
        let (root, index) = try await Self.open(tree)
        let first = try await Self.snapshot(root, index)
        #expect(first.differenceCount == 4 && first.entries.count == 4)
        try await index.apply(first.entries.map { .agreed(Self.agreed($0)) })
        #expect(try await Self.snapshot(root, index).differenceCount == 0)

        try tree.write("docs/b.txt", "changed")  // size differs
        try tree.write("docs/new.txt", "new")  // no synced row
        try tree.remove("link")  // a synced row with nothing on disk
        let changed = try await Self.snapshot(root, index)
        #expect(changed.differenceCount == 3)
    }

    @Test func aPendingCommitSurvivesUntilItLands() async throws {
        let tree = try TemporaryTree()
        try tree.write("f.txt", "f")
        let (root, index) = try await Self.open(tree)
        let entry = try #require(try await Self.snapshot(root, index).entries.first)
        let state = Self.agreed(entry, rev: 0)
        #expect(state.local.changeTime != 0, "the ctime round-trips with the rest below")
        let tag = try #require(NameTag(bytes: [UInt8](repeating: 3, count: 32)))
        let request = CommitRequest(
            commitId: LocalPublisher.newCommitID(),
            changes: [EntryChange(entryId: state.id, baseRev: 0, parentId: .root, kind: .file, nameTag: tag, record: Base64Bytes([1]))])
        try await index.addPendingCommit(PendingCommit(request: request, entries: [PendingCommit.Entry(state: state, tombstone: false, nameTag: tag)]))

        let pending = try await index.pendingCommits()
        #expect(pending.count == 1 && pending[0].request == request && pending[0].entries.map(\.state) == [state])
        try await index.completePendingCommit(pending[0], seq: 42)
        #expect(try await index.pendingCommits().isEmpty)
        let synced = try await index.syncedEntries()
        #expect(synced[state.id]?.rev == 42 && synced[state.id]?.path == "f.txt")
        let remote = try await index.remoteEntries([state.id])
        #expect(remote[state.id]?.rev == 42 && remote[state.id]?.deleted == false)
        #expect(try await index.dirtyRemoteEntries().isEmpty)
    }

    @Test func anIndexServesOnlyItsVault() async throws {
        let tree = try TemporaryTree()
        do {
            _ = try await Self.open(tree)
        }
        await #expect(throws: SyncClientError.self) { _ = try await Self.open(tree, vault: VaultID(high: 9, low: 9)) }
    }

    @Test func feedPagesOutsideTheirRangeAreRefused() throws {
        let tag = NameTag(bytes: [UInt8](repeating: 1, count: 32))!
        func state(_ rev: Int64, id: EntryID = EntryID(high: 5, low: 5)) -> EntryState {
            EntryState(entryId: id, rev: rev, parentId: .root, kind: .file, nameTag: tag, deleted: false, record: Base64Bytes([1]))
        }
        #expect(throws: Never.self) { try FeedReader.check(ChangesPage(entries: [state(6)], cursor: 7, hasMore: false), since: 5) }
        #expect(throws: SyncClientError.self) { try FeedReader.check(ChangesPage(entries: [], cursor: 4, hasMore: false), since: 5) }
        #expect(throws: SyncClientError.self) { try FeedReader.check(ChangesPage(entries: [state(5)], cursor: 7, hasMore: false), since: 5) }
        #expect(throws: SyncClientError.self) { try FeedReader.check(ChangesPage(entries: [state(8)], cursor: 7, hasMore: false), since: 5) }
        #expect(throws: SyncClientError.self) {
            try FeedReader.check(ChangesPage(entries: [state(6), state(7)], cursor: 7, hasMore: false), since: 5)
        }
        #expect(throws: SyncClientError.self) {
            try FeedReader.check(ChangesPage(entries: [state(6, id: .root)], cursor: 7, hasMore: false), since: 5)
        }
    }
}
