import CoffreProtocol
import CoffreServer
import Testing

/// The changes feed: order, pagination by whole commits, tombstones, cursors, long-poll.
///
/// The long-poll tests' time limits only stop a hang: each would also fail on its own result
/// when a wake-up or cancellation did not come (the poll answers an empty page or `.timedOut`
/// after its wait). Three minutes, not one: on two cores the whole suite's tasks share a pool
/// of two threads, and a CI run once starved one of these tests past a one-minute limit.
@Suite struct SyncStoreChangesTests {
    typealias F = SyncFixture

    /// Commits `sizes.count` batches of new files, `sizes[i]` files each; returns their ids.
    private func commitBatches(_ fixture: F, _ vault: VaultID, sizes: [Int]) async throws -> [[EntryID]] {
        var batches: [[EntryID]] = []
        for (batch, size) in sizes.enumerated() {
            let ids = (0..<size).map { _ in F.randomEntryID() }
            try await fixture.commit(vault, ids.enumerated().map { F.file($1, named: "\(batch)-\($0)") })
            batches.append(ids)
        }
        return batches
    }

    @Test func pagesFollowRevAndNeverSplitACommit() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let batches = try await commitBatches(fixture, vault, sizes: [3, 4, 2])
        let first = try await fixture.store.changes(vault, user: 1, since: 0, limit: 5)
        #expect(Set(first.entries.map(\.entryId)) == Set(batches[0]))
        #expect(first.cursor == 1)
        #expect(first.hasMore)
        let second = try await fixture.store.changes(vault, user: 1, since: first.cursor, limit: 5)
        #expect(Set(second.entries.map(\.entryId)) == Set(batches[1]))
        #expect(second.cursor == 2)
        #expect(second.hasMore)
        let third = try await fixture.store.changes(vault, user: 1, since: second.cursor, limit: 5)
        #expect(Set(third.entries.map(\.entryId)) == Set(batches[2]))
        #expect(third.cursor == 3)
        #expect(!third.hasMore)
        let empty = try await fixture.store.changes(vault, user: 1, since: 3, limit: 5)
        #expect(empty.entries.isEmpty)
        #expect(empty.cursor == 3)
        // Within a commit, entries come ordered by id.
        #expect(second.entries.map(\.entryId) == second.entries.map(\.entryId).sorted())
    }

    @Test func aCommitLargerThanThePageComesWhole() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let batches = try await commitBatches(fixture, vault, sizes: [7, 1])
        let page = try await fixture.store.changes(vault, user: 1, since: 0, limit: 3)
        #expect(page.entries.count == 7)
        #expect(page.cursor == 1)
        #expect(page.hasMore)
        let rest = try await fixture.store.changes(vault, user: 1, since: 1, limit: 3)
        #expect(rest.entries.map(\.entryId) == batches[1])
        #expect(!rest.hasMore)
        // The last commit alone, larger than the page: no more after it.
        let fixture2 = try await F()
        let vault2 = try await fixture2.vault()
        _ = try await commitBatches(fixture2, vault2, sizes: [5])
        let only = try await fixture2.store.changes(vault2, user: 1, since: 0, limit: 2)
        #expect(only.entries.count == 5)
        #expect(!only.hasMore)
    }

    @Test func theFeedShowsEachEntryOnceAtItsLatestStateTombstonesIncluded() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let (a, b) = (F.randomEntryID(), F.randomEntryID())
        try await fixture.commit(vault, [F.file(a, named: "a"), F.file(b, named: "b")])
        try await fixture.commit(vault, [F.file(a, named: "a", base: 1, marker: 7)])
        try await fixture.commit(vault, [F.file(b, named: "b", base: 1, deleted: true, marker: 8)])
        let page = try await fixture.store.changes(vault, user: 1, since: 0, limit: 100)
        #expect(page.entries.map(\.entryId) == [a, b])
        #expect(page.entries.map(\.rev) == [2, 3])
        #expect(page.entries[0].record == F.record(7))
        #expect(page.entries[1].deleted)
        #expect(page.entries[1].record == F.record(8))
        let later = try await fixture.store.changes(vault, user: 1, since: 2, limit: 100)
        #expect(later.entries.map(\.entryId) == [b])
    }

    @Test func cursorsOutsideTheRetainedRangeAreRefused() async throws {
        let fixture = try await F(retention: RetentionPolicy(days: 1, minRevisions: 1))
        let vault = try await fixture.vault()
        let (a, b) = (F.randomEntryID(), F.randomEntryID())
        try await fixture.commit(vault, [F.file(a, named: "a"), F.file(b, named: "b")])
        try await fixture.commit(vault, [F.file(a, named: "a", base: 1, deleted: true)])
        await #expect(throws: SyncError.cursorAhead(currentSeq: 2)) {
            try await fixture.store.changes(vault, user: 1, since: 3, limit: 10)
        }
        await #expect(throws: SyncError.self) { try await fixture.store.changes(vault, user: 1, since: -1, limit: 10) }
        fixture.advance(days: 2)
        let report = try await fixture.store.pruneHistory(vault)
        #expect(report.entriesPurged == 1)
        // A client at cursor 0 or 1 never saw the purged tombstone: it must resync in full.
        await #expect(throws: SyncError.cursorGone(oldestCursor: 2)) {
            try await fixture.store.changes(vault, user: 1, since: 1, limit: 10)
        }
        // A full resync starts from the current state and resumes from its cursor.
        #expect(try await fixture.store.changes(vault, user: 1, since: 2, limit: 10).entries.isEmpty)
    }

    /// Returns once `count` long-poll requests are waiting.
    private func waitForWaiters(_ fixture: F, _ count: Int) async throws {
        while fixture.store.longPollWaiters != count { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test(.timeLimit(.minutes(10))) func aLongPollWakesWhenACommitLands() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let poll = Task { try await fixture.store.changes(vault, user: 1, since: 0, limit: 10, wait: .seconds(3_600)) }
        try await waitForWaiters(fixture, 1)
        let file = F.randomEntryID()
        try await fixture.commit(vault, [F.file(file, named: "f")])
        // Without a wake-up the poll would wait its hour and the time limit would end the test
        // (a shorter wait could pass while a starved test had not yet committed).
        let page = try await poll.value
        #expect(page.entries.map(\.entryId) == [file])
        #expect(page.cursor == 1)
        #expect(fixture.store.longPollWaiters == 0)
    }

    @Test(.timeLimit(.minutes(10))) func aLongPollWithNothingNewAnswersAnEmptyPageAfterItsWait() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let other = try await fixture.vault()
        let poll = Task {
            try await fixture.store.changes(vault, user: 1, since: 0, limit: 10, wait: .milliseconds(300))
        }
        try await waitForWaiters(fixture, 1)
        // A commit in another vault does not wake it.
        try await fixture.commit(other, [F.file(F.randomEntryID(), named: "f")])
        let page = try await poll.value
        #expect(page.entries.isEmpty)
        #expect(page.cursor == 0)
        #expect(fixture.store.longPollWaiters == 0)
    }

    @Test(.timeLimit(.minutes(10))) func aCancelledLongPollEndsAtOnce() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let poll = Task { try await fixture.store.changes(vault, user: 1, since: 0, limit: 10, wait: .seconds(3_600)) }
        try await waitForWaiters(fixture, 1)
        poll.cancel()
        await #expect(throws: SyncError.cancelled) { try await poll.value }
        #expect(fixture.store.longPollWaiters == 0)
        // Cancelled before it even started waiting.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await fixture.store.changes(vault, user: 1, since: 0, limit: 10, wait: .seconds(3_600))
        }
        await #expect(throws: SyncError.cancelled) { try await early.value }
        #expect(fixture.store.longPollWaiters == 0)
    }

    @Test(.timeLimit(.minutes(10))) func waitersAreBounded() async throws {
        var limits = SyncLimits()
        limits.maxWaiters = 1
        let fixture = try await F(limits: limits)
        let vault = try await fixture.vault()
        let first = Task { try await fixture.store.changes(vault, user: 1, since: 0, limit: 10, wait: .seconds(3_600)) }
        try await waitForWaiters(fixture, 1)
        await #expect(throws: SyncError.tooManyWaiters) {
            try await fixture.store.changes(vault, user: 1, since: 0, limit: 10, wait: .seconds(1))
        }
        // Without a wait nothing is reserved, so a plain read still works.
        #expect(try await fixture.store.changes(vault, user: 1, since: 0, limit: 10).entries.isEmpty)
        first.cancel()
        await #expect(throws: SyncError.cancelled) { try await first.value }
        // The slot is free again.
        let page = try await fixture.store.changes(vault, user: 1, since: 0, limit: 10, wait: .milliseconds(1))
        #expect(page.entries.isEmpty)
    }

    @Test(.timeLimit(.minutes(10))) func deletingTheVaultWakesItsWaiters() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let poll = Task { try await fixture.store.changes(vault, user: 1, since: 0, limit: 10, wait: .seconds(3_600)) }
        try await waitForWaiters(fixture, 1)
        _ = try await fixture.store.deleteVault(vault, user: 1)
        // Woken, it reads again and finds no vault.
        await #expect(throws: SyncError.vaultNotFound) { try await poll.value }
    }
}
