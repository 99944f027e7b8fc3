import CoffreProtocol
import CoffreServer
import Foundation
import SQLiteStore
import Testing

/// GC planning, the consistency check and storage statistics.
@Suite struct SyncStoreGarbageTests {
    typealias F = SyncFixture

    /// Every candidate of a full scan in batches of `batchSize`.
    private func allCandidates(_ fixture: F, grace: Int64, batchSize: Int = 1_000) async throws -> [VaultBlob] {
        var candidates: [VaultBlob] = []
        var cursor: GarbageCursor?
        repeat {
            let page = try await fixture.store.garbageCandidates(
                graceSeconds: grace, after: cursor, batchSize: batchSize)
            candidates += page.candidates
            cursor = page.next
        } while cursor != nil
        return candidates
    }

    @Test func candidatesAreUnreferencedAndOlderThanTheGracePeriod() async throws {
        let fixture = try await F(retention: RetentionPolicy(days: 1, minRevisions: 1))
        let vault = try await fixture.vault()
        let (used, old, superseded) = (F.blob("used"), F.blob("old"), F.blob("superseded"))
        try await fixture.store(blobs: [used, old, superseded], in: vault, size: 5)
        let id = F.randomEntryID()
        try await fixture.commit(vault, [F.file(id, named: "f", blobs: [used, superseded])])
        try await fixture.commit(vault, [F.file(id, named: "f", base: 1, blobs: [used])])
        fixture.advance(seconds: 7_200)
        // Uploaded after the others, its commit not landed yet: inside the grace period.
        let fresh = F.blob("fresh")
        try await fixture.store(blobs: [fresh], in: vault, size: 5)
        // The superseded revision still exists, so its blob is referenced.
        #expect(try await allCandidates(fixture, grace: 3_600).map(\.blob) == [old])
        fixture.advance(days: 2)
        _ = try await fixture.store.pruneHistory(vault)
        let candidates = try await allCandidates(fixture, grace: 3_600)
        #expect(Set(candidates.map(\.blob)) == [old, superseded, fresh])
        #expect(candidates.allSatisfy { $0.vaultId == vault && $0.size == 5 })
        // A long grace period protects everything recorded recently.
        #expect(try await allCandidates(fixture, grace: 30 * 86_400).isEmpty)
    }

    @Test func smallBatchesVisitEveryBlobOnce() async throws {
        let fixture = try await F()
        let first = try await fixture.vault()
        let second = try await fixture.vault()
        let ids = (0..<25).map { F.blob("\($0)") }
        try await fixture.store(blobs: ids, in: first)
        try await fixture.store(blobs: Array(ids.prefix(10)), in: second)
        try await fixture.commit(first, [F.file(F.randomEntryID(), named: "f", blobs: Array(ids.prefix(5)))])
        fixture.advance(seconds: 10)
        let candidates = try await allCandidates(fixture, grace: 0, batchSize: 4)
        #expect(candidates.count == 20 + 10)
        #expect(Set(candidates).count == candidates.count)
        #expect(!candidates.contains { $0.vaultId == first && ids.prefix(5).contains($0.blob) })
    }

    @Test func deletionRechecksEachCandidate() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let (gone, revived, refreshed) = (F.blob("gone"), F.blob("revived"), F.blob("refreshed"))
        try await fixture.store(blobs: [gone, revived, refreshed], in: vault, size: 3)
        fixture.advance(seconds: 100)
        let candidates = try await allCandidates(fixture, grace: 50)
        #expect(candidates.count == 3)
        // Between listing and deleting: one is referenced by a commit, one is uploaded again.
        try await fixture.commit(vault, [F.file(F.randomEntryID(), named: "f", blobs: [revived])])
        try await fixture.store(blobs: [refreshed], in: vault, size: 3)
        let deleted = try await fixture.store.deleteUnreferencedBlobs(candidates, graceSeconds: 50)
        #expect(deleted.map(\.blob) == [gone])
        let missing = try await fixture.store.missingBlobs(
            vault, user: 1, MissingBlobsRequest(ids: [gone, revived, refreshed]))
        #expect(missing.missing == [gone])
    }

    @Test func theConsistencyCheckFindsDanglingReferencesBrokenHeadsAndOrphans() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let blob = F.blob("b")
        try await fixture.store(blobs: [blob], in: vault)
        let folder = F.randomEntryID()
        let child = F.randomEntryID()
        let file = F.randomEntryID()
        try await fixture.commit(
            vault,
            [
                F.folder(folder, named: "d"), F.file(child, in: folder, named: "c"),
                F.file(file, named: "f", blobs: [blob]),
            ])
        #expect(try await fixture.store.checkConsistency().isConsistent)
        // Damage the file the way a hand edit with foreign keys off and the guard of referenced
        // blobs dropped would.
        let damage = try Connection(path: fixture.directory.appendingPathComponent("coffred.db").path)
        try damage.execute("PRAGMA foreign_keys = OFF")
        try damage.execute("DROP TRIGGER blobs_keep_referenced")
        try damage.execute("DELETE FROM blobs")
        try damage.execute("DELETE FROM entries WHERE entry_id = ?", [folder.bytes])
        try damage.execute("UPDATE entries SET head = 9999 WHERE entry_id = ?", [file.bytes])
        try damage.close()
        let report = try await fixture.store.checkConsistency()
        #expect(!report.isConsistent)
        #expect(report.danglingReferences.map(\.blob) == [blob])
        #expect(report.danglingReferences.first?.revisions == 1)
        #expect(report.brokenHeads.map(\.entryId) == [file])
        #expect(report.orphans.map(\.entryId) == [child])
    }

    @Test func theConsistencyCheckFindsAWrongReferenceCount() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let (used, idle) = (F.blob("used"), F.blob("idle"))
        try await fixture.store(blobs: [used, idle], in: vault)
        try await fixture.commit(vault, [F.file(F.randomEntryID(), named: "f", blobs: [used])])
        #expect(try await fixture.store.checkConsistency().isConsistent)
        // A count of 0 would let garbage collection delete a blob a revision still names.
        let damage = try Connection(path: fixture.directory.appendingPathComponent("coffred.db").path)
        try damage.execute("UPDATE blobs SET refs = 0 WHERE hash = ?", [used.bytes])
        try damage.execute("UPDATE blobs SET refs = 3 WHERE hash = ?", [idle.bytes])
        try damage.close()
        let report = try await fixture.store.checkConsistency()
        #expect(!report.isConsistent)
        #expect(Set(report.miscountedBlobs.map { [$0.recorded, $0.counted] }) == [[0, 1], [3, 0]])
        #expect(Set(report.miscountedBlobs.map(\.blob)) == [used, idle])
    }

    @Test func statisticsOfAKnownDataset() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let other = try await fixture.vault()
        let (shared, repeated, trashed, idle) = (
            F.blob("shared"), F.blob("repeated"), F.blob("trashed"), F.blob("idle")
        )
        try await fixture.store.recordBlobs(
            vault, user: 1,
            [
                StoredBlob(id: shared, size: 100), StoredBlob(id: repeated, size: 50),
                StoredBlob(id: trashed, size: 30), StoredBlob(id: idle, size: 20),
            ])
        try await fixture.store.recordBlobs(other, user: 1, [StoredBlob(id: shared, size: 100)])
        let gone = F.randomEntryID()
        try await fixture.commit(
            vault,
            [
                F.file(F.randomEntryID(), named: "a", blobs: [shared]),
                F.file(F.randomEntryID(), named: "b", blobs: [shared, repeated, repeated]),
                F.file(gone, named: "c", blobs: [trashed]),
                F.folder(F.randomEntryID(), named: "d"),
            ])
        try await fixture.commit(vault, [F.file(gone, named: "c", base: 1, deleted: true, blobs: [trashed])])
        try await fixture.commit(other, [F.file(F.randomEntryID(), named: "a", blobs: [shared])])
        let stats = try await fixture.store.statistics(vault)
        #expect(stats.vaults == 1)
        #expect(stats.liveEntries == 3)
        #expect(stats.deletedEntries == 1)
        #expect(stats.revisions == 5)
        #expect(stats.blobs == 4)
        #expect(stats.physicalBytes == 200)
        // a: 100; b: 100 + 2 × 50; the trashed file and the idle blob do not count.
        #expect(stats.logicalBytes == 300)
        #expect(stats.dedupRatio == 1.5)
        let total = try await fixture.store.statistics()
        #expect(total.vaults == 2)
        #expect(total.blobs == 5)
        #expect(total.physicalBytes == 300)
        #expect(total.logicalBytes == 400)
        #expect(total.liveEntries == 4)
        let empty = try await fixture.store.statistics(try await fixture.vault())
        #expect(empty.dedupRatio == nil)
        await #expect(throws: SyncError.vaultNotFound) { try await fixture.store.statistics(F.randomVaultID()) }
    }
}
