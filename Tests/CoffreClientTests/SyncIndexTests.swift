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

    /// A check keeps its entries up to its limit (then it serves as the round's snapshot);
    /// past it, it drops them all and still counts every difference.
    @Test func aSnapshotKeepsItsEntriesOnlyUpToItsLimit() async throws {
        let tree = try TemporaryTree()
        try tree.folder("docs")
        for name in ["a", "b", "c"] { try tree.write("docs/\(name).txt", name) }
        try tree.write(".coffre-tmp-0011", "left over")
        let (root, index) = try await Self.open(tree)
        func take(_ limit: Int) async throws -> LocalSnapshot {
            try await index.read("test snapshot") { db in
                try LocalSnapshot.take(root: root, options: ScanOptions(), comparingWith: db, keepingAtMost: limit)
            }
        }
        let whole = try await take(4)
        #expect(whole.hasEveryEntry && whole.entries.map(\.path.onDisk) == ["docs", "docs/a.txt", "docs/b.txt", "docs/c.txt"])
        #expect(whole.differenceCount == 4)
        #expect(whole.skipped.contains { $0.reason == .syncTemporaryFile })
        #expect(!whole.removingTemporaryFiles().skipped.contains { $0.reason == .syncTemporaryFile })
        #expect(whole.removingTemporaryFiles().entries.count == 4)

        let counted = try await take(3)
        #expect(!counted.hasEveryEntry && counted.entries.isEmpty && counted.differenceCount == 4)
        let none = try await take(0)
        #expect(!none.hasEveryEntry && none.entries.isEmpty && none.differenceCount == 4)

        try await index.apply(whole.entries.map { .agreed(Self.agreed($0)) })
        try tree.write("docs/b.txt", "changed")
        let after = try await take(3)
        #expect(!after.hasEveryEntry && after.differenceCount == 1)
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

    /// A commit that lands after the feed already brought a newer state of its entries (another
    /// device's later commit) records the synced state and leaves that newer state as it came;
    /// an older remote row is replaced, clean. A tombstone whose entry lives on there leaves
    /// the newer live state dirty, to be applied here.
    @Test func aLandedCommitKeepsNewerRemoteStates() async throws {
        let tree = try TemporaryTree()
        for name in ["newer.txt", "older.txt", "gone.txt"] { try tree.write(name, name) }
        let (root, index) = try await Self.open(tree)
        let scanned = try await Self.snapshot(root, index).entries
        let states = Dictionary(uniqueKeysWithValues: scanned.map { ($0.path.onDisk, Self.agreed($0, rev: 3)) })
        let (newer, older, gone) = (try #require(states["newer.txt"]), try #require(states["older.txt"]), try #require(states["gone.txt"]))
        try await index.apply([.agreed(newer), .agreed(older), .agreed(gone)])
        let tag = try #require(NameTag(bytes: [UInt8](repeating: 5, count: 32)))
        func remote(_ state: SyncedEntry, rev: Int64, deleted: Bool = false) -> RemoteEntry {
            var state = state
            state.rev = rev
            return RemoteEntry(synced: state, nameTag: tag, deleted: deleted)
        }
        // The feed brought rev 9 of two entries (another device) and rev 2 of the third.
        try await index.storeFeedPage([remote(newer, rev: 9), remote(gone, rev: 9), remote(older, rev: 2)], cursor: 9)
        #expect(Set(try await index.dirtyRemoteEntries().map(\.id)) == [newer.id, gone.id])

        let commit = PendingCommit(
            request: CommitRequest(commitId: LocalPublisher.newCommitID(), changes: []),
            entries: [
                PendingCommit.Entry(state: newer, tombstone: false, nameTag: tag),
                PendingCommit.Entry(state: older, tombstone: false, nameTag: tag),
                PendingCommit.Entry(state: gone, tombstone: true, nameTag: tag),
            ])
        try await index.addPendingCommit(commit)
        try await index.completePendingCommit(commit, seq: 7)

        let stored = try await index.remoteEntries([newer.id, older.id, gone.id])
        #expect(stored[newer.id]?.rev == 9 && stored[gone.id]?.rev == 9 && stored[gone.id]?.deleted == false)
        #expect(stored[older.id]?.rev == 7)
        // Still to apply here: the newer live states; the older entry's row is clean at 7.
        #expect(Set(try await index.dirtyRemoteEntries().map(\.id)) == [newer.id, gone.id])
        let synced = try await index.syncedEntries()
        #expect(synced[newer.id]?.rev == 7 && synced[older.id]?.rev == 7 && synced[gone.id] == nil)
        #expect(try await index.pendingCommits().isEmpty)
        #expect(try await index.feedPosition().cursor == 9, "the cursor stood past seq - 1 and stays")
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
