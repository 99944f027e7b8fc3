import CoffreProtocol
import CoffreServer
import Testing

/// History, trash and retention: what is listed, what pruning removes, what it must keep.
@Suite struct SyncStoreRetentionTests {
    typealias F = SyncFixture

    /// Commits `count` revisions of one new file (markers 1…count); returns its id.
    private func fileWithRevisions(
        _ fixture: F, _ vault: VaultID, count: Int, blobs: [BlobID] = []
    ) async throws -> EntryID {
        let id = F.randomEntryID()
        var base: Int64 = 0
        for marker in 1...count {
            base = try await fixture.commit(
                vault, [F.file(id, named: "f\(id)", base: base, blobs: blobs, marker: UInt8(marker))])
        }
        return id
    }

    @Test func pruningKeepsTheNewestRevisionsOfEachEntry() async throws {
        let fixture = try await F(retention: RetentionPolicy(days: 1, minRevisions: 3))
        let vault = try await fixture.vault()
        let busy = try await fileWithRevisions(fixture, vault, count: 6)
        let quiet = try await fileWithRevisions(fixture, vault, count: 1)
        fixture.advance(days: 2)
        let report = try await fixture.store.pruneHistory(vault)
        #expect(report.revisionsDeleted == 3)
        #expect(report.finished)
        let kept = try await fixture.store.revisions(vault, user: 1, entry: busy, limit: 100)
        #expect(kept.revisions.map(\.record) == [6, 5, 4].map { F.record($0) })
        #expect(try await fixture.store.revisions(vault, user: 1, entry: quiet, limit: 100).revisions.count == 1)
        // Pruning again finds nothing.
        #expect(try await fixture.store.pruneHistory(vault).revisionsDeleted == 0)
    }

    @Test func aRevisionStaysForTheRetentionPeriodAfterItWasSuperseded() async throws {
        let fixture = try await F(retention: RetentionPolicy(days: 10, minRevisions: 1))
        let vault = try await fixture.vault()
        let id = F.randomEntryID()
        try await fixture.commit(vault, [F.file(id, named: "f", marker: 1)])
        fixture.advance(days: 9)
        try await fixture.commit(vault, [F.file(id, named: "f", base: 1, marker: 2)])
        // Written 18 days ago but current until 9 days ago: kept.
        fixture.advance(days: 9)
        #expect(try await fixture.store.pruneHistory(vault).revisionsDeleted == 0)
        fixture.advance(days: 2)
        #expect(try await fixture.store.pruneHistory(vault).revisionsDeleted == 1)
        let kept = try await fixture.store.revisions(vault, user: 1, entry: id, limit: 10)
        #expect(kept.revisions.map(\.rev) == [2])
    }

    @Test func theTrashIsPurgedAfterTheRetentionPeriod() async throws {
        let fixture = try await F(retention: RetentionPolicy(days: 1, minRevisions: 10))
        let vault = try await fixture.vault()
        let (old, recent, live) = (F.randomEntryID(), F.randomEntryID(), F.randomEntryID())
        try await fixture.commit(
            vault, [F.file(old, named: "o"), F.file(recent, named: "r"), F.file(live, named: "l")])
        try await fixture.commit(vault, [F.file(old, named: "o", base: 1, deleted: true)])
        fixture.advance(days: 2)
        try await fixture.commit(vault, [F.file(recent, named: "r", base: 1, deleted: true)])
        #expect(try await fixture.store.trash(vault, user: 1, limit: 10).entries.map(\.entryId) == [recent, old])
        let report = try await fixture.store.pruneHistory(vault)
        #expect(report.entriesPurged == 1)
        #expect(report.revisionsDeleted == 2)
        #expect(try await fixture.store.trash(vault, user: 1, limit: 10).entries.map(\.entryId) == [recent])
        await #expect(throws: SyncError.entryNotFound) {
            try await fixture.store.revisions(vault, user: 1, entry: old, limit: 10)
        }
        #expect(try await fixture.store.revisions(vault, user: 1, entry: live, limit: 10).revisions.count == 1)
        // The purged id is free: a client may create it again.
        try await fixture.commit(vault, [F.file(old, named: "o")])
    }

    @Test func pruningReportsTheBlobsNoRevisionReferencesAnyMore() async throws {
        let fixture = try await F(retention: RetentionPolicy(days: 1, minRevisions: 1))
        let vault = try await fixture.vault()
        let (once, twice, never) = (F.blob("once"), F.blob("twice"), F.blob("never"))
        try await fixture.store(blobs: [once, twice, never], in: vault, size: 7)
        let id = F.randomEntryID()
        try await fixture.commit(vault, [F.file(id, named: "f", blobs: [once, twice])])
        try await fixture.commit(vault, [F.file(id, named: "f", base: 1, blobs: [twice])])
        fixture.advance(days: 2)
        let report = try await fixture.store.pruneHistory(vault)
        #expect(report.unreferencedBlobs == [VaultBlob(vaultId: vault, blob: once, size: 7)])
    }

    @Test func revisionsArePagedNewestFirstWithRecordsAndBlobs() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let blob = F.blob("x")
        try await fixture.store(blobs: [blob], in: vault)
        let id = try await fileWithRevisions(fixture, vault, count: 5, blobs: [blob, blob])
        var pages: [[Int64]] = []
        var before: Int64?
        repeat {
            let page = try await fixture.store.revisions(vault, user: 1, entry: id, before: before, limit: 2)
            pages.append(page.revisions.map(\.rev))
            #expect(
                page.revisions.allSatisfy { $0.blobs == [blob, blob] && $0.committedAt == F.start && $0.kind == .file })
            #expect(page.revisions.allSatisfy { $0.record == F.record(UInt8($0.rev)) })
            before = page.nextBefore
        } while before != nil
        #expect(pages == [[5, 4], [3, 2], [1]])
        await #expect(throws: SyncError.entryNotFound) {
            try await fixture.store.revisions(vault, user: 1, entry: F.randomEntryID(), limit: 2)
        }
        await #expect(throws: SyncError.vaultNotFound) {
            try await fixture.store.revisions(vault, user: 2, entry: id, limit: 2)
        }
    }

    @Test func trashPagesNeverSplitOneCommitsDeletions() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let early = (0..<3).map { _ in F.randomEntryID() }
        let late = F.randomEntryID()
        try await fixture.commit(vault, (early + [late]).enumerated().map { F.file($1, named: "\($0)") })
        try await fixture.commit(vault, early.enumerated().map { F.file($1, named: "\($0)", base: 1, deleted: true) })
        try await fixture.commit(vault, [F.file(late, named: "3", base: 1, deleted: true)])
        let first = try await fixture.store.trash(vault, user: 1, limit: 2)
        #expect(first.entries.map(\.entryId) == [late])
        #expect(first.nextBefore == 3)
        let second = try await fixture.store.trash(vault, user: 1, before: first.nextBefore, limit: 2)
        #expect(Set(second.entries.map(\.entryId)) == Set(early))
        #expect(second.nextBefore == nil)
        #expect(second.entries.allSatisfy { $0.deleted })
    }

    @Test func pruningWorksInBoundedBatchesAcrossVaults() async throws {
        var limits = SyncLimits()
        limits.commitIDRetentionSeconds = 100
        let fixture = try await F(limits: limits, retention: RetentionPolicy(days: 1, minRevisions: 1))
        let first = try await fixture.vault()
        let second = try await fixture.vault()
        _ = try await fileWithRevisions(fixture, first, count: 4)
        _ = try await fileWithRevisions(fixture, second, count: 3)
        _ = try await fixture.store.commit(
            first, user: 1,
            CommitRequest(commitId: CommitID(high: 3, low: 3), changes: [F.folder(F.randomEntryID(), named: "d")]))
        fixture.advance(days: 2)
        let partial = try await fixture.store.pruneHistory(first, batchLimit: 2)
        #expect(partial.revisionsDeleted == 2)
        #expect(!partial.finished)
        #expect(partial.commitIDsForgotten == 1)
        let rest = try await fixture.store.pruneHistory(batchLimit: 2)
        #expect(rest.revisionsDeleted == 1 + 2)
        #expect(rest.finished)
        #expect(try await fixture.integer("SELECT count(*) FROM revisions") == 3)
    }
}
