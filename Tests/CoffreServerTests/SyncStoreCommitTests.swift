import CoffreProtocol
import CoffreServer
import Testing

/// Commits as a whole: what lands, what does not, who may commit, retries and races.
@Suite struct SyncStoreCommitTests {
    typealias F = SyncFixture

    @Test func aCommitBumpsSeqAndGivesEveryTouchedEntryRevEqualToIt() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let blob = F.blob("b")
        try await fixture.store(blobs: [blob], in: vault)
        let (a, b, c) = (F.randomEntryID(), F.randomEntryID(), F.randomEntryID())
        #expect(
            try await fixture.commit(vault, [F.file(a, named: "a", blobs: [blob, blob]), F.file(b, named: "b")]) == 1)
        #expect(
            try await fixture.commit(vault, [F.file(b, named: "b", base: 1, marker: 5), F.file(c, named: "c")]) == 2)
        let revs = try await fixture.integers("SELECT rev FROM entries ORDER BY rev")
        #expect(revs == [1, 2, 2])
        #expect(try await fixture.integer("SELECT count(*) FROM revisions") == 4)
        // The blob listed twice is one row counting two occurrences.
        #expect(try await fixture.integers("SELECT occurrences FROM revision_blobs") == [2])
        let summary = try await fixture.store.vaults(user: 1).vaults.first
        #expect(summary?.seq == 2)
    }

    @Test func nothingLandsWhenAnyEntryConflicts() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let blob = F.blob("b")
        try await fixture.store(blobs: [blob], in: vault)
        let existing = F.randomEntryID()
        try await fixture.commit(vault, [F.file(existing, named: "e")])
        let before = try await fixture.integers(
            "SELECT (SELECT count(*) FROM revisions) + (SELECT count(*) FROM entries) * 1000 + (SELECT count(*) FROM revision_blobs) * 1000000"
        )
        let outcome = try await fixture.store.commit(
            vault, user: 1,
            CommitRequest(changes: [
                F.file(F.randomEntryID(), named: "new1", blobs: [blob]),
                F.folder(F.randomEntryID(), named: "new2"),
                F.file(existing, named: "e", base: 0),
            ]))
        guard case .rejected(let rejection) = outcome else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.seq == 1)
        #expect(rejection.conflicts.map(\.reason) == [.alreadyExists])
        let after = try await fixture.integers(
            "SELECT (SELECT count(*) FROM revisions) + (SELECT count(*) FROM entries) * 1000 + (SELECT count(*) FROM revision_blobs) * 1000000"
        )
        #expect(before == after)
        #expect(try await fixture.integer("SELECT seq FROM vaults") == 1)
    }

    @Test func aFailureHalfwayThroughTheWritesRollsEverythingBack() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let blob = F.blob("b")
        try await fixture.store(blobs: [blob], in: vault)
        // A trigger that fails the third row's blob reference, after the first entries' rows
        // were written: the commit's transaction must undo them.
        try await fixture.store.database.queue.write { db in
            try db.execute(
                """
                CREATE TEMP TRIGGER fail_third AFTER INSERT ON revision_blobs WHEN NEW.occurrences = 3
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """)
        }
        let changes = [
            F.file(F.randomEntryID(), named: "a", blobs: [blob]),
            F.file(F.randomEntryID(), named: "b", blobs: [blob, blob]),
            F.file(F.randomEntryID(), named: "c", blobs: [blob, blob, blob]),
        ]
        await #expect(throws: SyncError.self) {
            try await fixture.store.commit(vault, user: 1, CommitRequest(changes: changes))
        }
        for table in ["revisions", "revision_blobs", "entries"] {
            #expect(try await fixture.integer("SELECT count(*) FROM \(table)") == 0, "\(table)")
        }
        #expect(try await fixture.integer("SELECT seq FROM vaults") == 0)
        #expect(try await fixture.store.changes(vault, user: 1, since: 0, limit: 10).entries.isEmpty)
    }

    @Test func aReadMemberCannotCommitAndANonMemberCannotTellTheVaultExists() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        try await fixture.add(2, to: vault, role: .read)
        try await fixture.add(3, to: vault, role: .write)
        let change = F.file(F.randomEntryID(), named: "f")
        await #expect(throws: SyncError.forbidden(required: .write)) {
            try await fixture.store.commit(vault, user: 2, CommitRequest(changes: [change]))
        }
        await #expect(throws: SyncError.vaultNotFound) {
            try await fixture.store.commit(vault, user: 4, CommitRequest(changes: [change]))
        }
        await #expect(throws: SyncError.vaultNotFound) {
            try await fixture.store.commit(F.randomVaultID(), user: 4, CommitRequest(changes: [change]))
        }
        await #expect(throws: SyncError.vaultNotFound) {
            try await fixture.store.changes(vault, user: 4, since: 0, limit: 10)
        }
        await #expect(throws: SyncError.vaultNotFound) {
            try await fixture.store.missingBlobs(vault, user: 4, MissingBlobsRequest(ids: [F.blob("x")]))
        }
        await #expect(throws: SyncError.vaultNotFound) {
            try await fixture.store.recordBlobs(vault, user: 4, [StoredBlob(id: F.blob("x"), size: 1)])
        }
        await #expect(throws: SyncError.forbidden(required: .write)) {
            try await fixture.store.recordBlobs(vault, user: 2, [StoredBlob(id: F.blob("x"), size: 1)])
        }
        try await fixture.commit(vault, [change], user: 3)
        #expect(try await fixture.store.changes(vault, user: 2, since: 0, limit: 10).entries.count == 1)
    }

    @Test func aRetriedCommitAnswersTheOriginalReceipt() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let id = CommitID(high: 42, low: 7)
        let request = CommitRequest(commitId: id, changes: [F.file(F.randomEntryID(), named: "f")])
        #expect(
            try await fixture.store.commit(vault, user: 1, request)
                == .committed(CommitReceipt(seq: 1, replayed: false)))
        try await fixture.commit(vault, [F.file(F.randomEntryID(), named: "g")])
        #expect(
            try await fixture.store.commit(vault, user: 1, request) == .committed(CommitReceipt(seq: 1, replayed: true))
        )
        #expect(try await fixture.integer("SELECT seq FROM vaults") == 2)
        #expect(try await fixture.integer("SELECT count(*) FROM revisions") == 2)
        // The same id with other changes, or from another member, is refused.
        var altered = request
        altered.changes[0].record = F.record(9)
        await #expect(throws: SyncError.commitIDReused) { try await fixture.store.commit(vault, user: 1, altered) }
        try await fixture.add(2, to: vault, role: .write)
        await #expect(throws: SyncError.commitIDReused) { try await fixture.store.commit(vault, user: 2, request) }
        // Ids are per vault.
        let other = try await fixture.vault()
        #expect(
            try await fixture.store.commit(other, user: 1, request)
                == .committed(CommitReceipt(seq: 1, replayed: false)))
    }

    @Test func commitIDsAreRememberedForABoundedNumberOfCommits() async throws {
        var limits = SyncLimits()
        limits.rememberedCommitsPerVault = 2
        let fixture = try await F(limits: limits)
        let vault = try await fixture.vault()
        let first = F.randomEntryID()
        let request = CommitRequest(commitId: CommitID(high: 1, low: 1), changes: [F.file(first, named: "f")])
        _ = try await fixture.store.commit(vault, user: 1, request)
        for index in 0..<2 {
            _ = try await fixture.store.commit(
                vault, user: 1,
                CommitRequest(
                    commitId: CommitID(high: 2, low: UInt64(index)),
                    changes: [F.file(F.randomEntryID(), named: "\(index)")]))
        }
        #expect(try await fixture.integer("SELECT count(*) FROM commits") == 2)
        // Forgotten: the retry is judged afresh and its baseRev 0 now conflicts.
        guard case .rejected(let rejection) = try await fixture.store.commit(vault, user: 1, request) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.conflicts.map(\.reason) == [.alreadyExists])
    }

    @Test func concurrentCommittersOnTheSameEntriesEachWinExactlyOneCASRound() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        try await fixture.add(2, to: vault, role: .write)
        let ids = (0..<5).map { _ in F.randomEntryID() }
        try await fixture.commit(vault, ids.enumerated().map { F.file($1, named: "\($0)") })
        let rounds = 8
        var winners: [Int64] = []
        for round in 0..<rounds {
            let base = Int64(round + 1)
            let outcomes = try await withThrowingTaskGroup(of: CommitOutcome.self) { group in
                for user in [Int64(1), 2] {
                    group.addTask {
                        let changes = ids.enumerated().map {
                            F.file($1, named: "\($0)", base: base, marker: UInt8(user))
                        }
                        return try await fixture.store.commit(vault, user: user, CommitRequest(changes: changes))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let landed = outcomes.compactMap { outcome -> Int64? in
                if case .committed(let receipt) = outcome { return receipt.seq }
                return nil
            }
            let refused = outcomes.compactMap { outcome -> CommitRejection? in
                if case .rejected(let rejection) = outcome { return rejection }
                return nil
            }
            #expect(landed == [base + 1])
            #expect(refused.count == 1)
            #expect(refused.first?.conflicts.count == ids.count)
            #expect(
                refused.first?.conflicts.allSatisfy { $0.reason == .staleRev && $0.current?.rev == base + 1 } == true)
            winners += landed
        }
        // The feed shows one consistent order: every entry at the last seq, one revision per round.
        let page = try await fixture.store.changes(vault, user: 1, since: 0, limit: 100)
        #expect(page.cursor == Int64(rounds + 1))
        #expect(page.entries.allSatisfy { $0.rev == Int64(rounds + 1) })
        #expect(try await fixture.integer("SELECT count(*) FROM revisions") == Int64(ids.count * (rounds + 1)))
        #expect(winners == (2...Int64(rounds + 1)).map { $0 })
    }

    @Test func missingBlobsAnswersEachAbsentIdOnceInRequestOrder() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let ids = (0..<3_000).map { F.blob("\($0)") }
        try await fixture.store(blobs: ids.enumerated().filter { $0.offset % 3 == 0 }.map(\.element), in: vault)
        let asked = ids + ids.prefix(10)
        let missing = try await fixture.store.missingBlobs(vault, user: 1, MissingBlobsRequest(ids: asked)).missing
        #expect(missing == ids.enumerated().filter { $0.offset % 3 != 0 }.map(\.element))
        #expect(try await fixture.store.missingBlobs(vault, user: 1, MissingBlobsRequest(ids: [])).missing.isEmpty)
        var limits = SyncLimits()
        limits.maxMissingQueryIDs = 10
        let small = try await F(limits: limits)
        let smallVault = try await small.vault()
        await #expect(throws: SyncError.self) {
            try await small.store.missingBlobs(smallVault, user: 1, MissingBlobsRequest(ids: Array(ids.prefix(11))))
        }
    }
}
