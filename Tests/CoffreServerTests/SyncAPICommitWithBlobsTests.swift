@testable import CoffreServer
import CoffreClient
import CoffreProtocol
import Foundation
import Testing

/// Commits carrying their small blobs (`CommitWithBlobs`) through the real route: the blobs
/// are made durable before the commit's transaction, which records and charges them, and every
/// refusal — a blob not matching its id, the quota, the limits, a caller who may not write, a
/// conflict, a reused commit id — commits nothing: no entry, no blob row, no file, no charge.
@Suite struct SyncAPICommitWithBlobsTests {
    /// The committed entries of `vault` as alice sees them.
    private func entries(_ alice: SyncServerHarness.User, _ vault: VaultID) async throws -> [EntryID] {
        try await alice.client.changes(vault, since: 0).entries.map(\.entryId)
    }

    @Test func carriedBlobsAreStoredAndCommitted() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let first = SyncSamples.blob(4_096), second = SyncSamples.blob(10)
            let file = SyncSamples.newFile(blobs: [first.id, second.id])
            let answer = try await alice.client.commit(vault, CommitRequest(changes: [file]), carrying: [first, second])
            #expect(answer == .committed(CommitReceipt(seq: 1, replayed: false)))
            #expect(try await alice.client.blob(vault, first.id) == first.bytes)
            #expect(try await alice.client.blob(vault, second.id) == second.bytes)
            #expect(try await harness.usedBytes(alice) == 4_106)
            // A blob the vault holds already is accepted again at no cost.
            let again = SyncSamples.newFile(blobs: [first.id])
            #expect(try await alice.client.commit(vault, CommitRequest(changes: [again]), carrying: [first])
                == .committed(CommitReceipt(seq: 2, replayed: false)))
            #expect(try await harness.usedBytes(alice) == 4_106)
            #expect(try await entries(alice, vault) == [file.entryId, again.entryId])
            #expect(harness.temporaryFiles().isEmpty)
        }
    }

    @Test func aLostRaceIsStillAConflict() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let blob = SyncSamples.blob(100)
            let file = SyncSamples.newFile(blobs: [blob.id])
            _ = try await alice.client.commit(vault, CommitRequest(changes: [file]), carrying: [blob])
            // The same new entry again: its baseRev 0 no longer holds (409, the blob is kept).
            let rejection = try await expectRejection(alice.client.commit(vault, CommitRequest(changes: [file]), carrying: [blob]))
            #expect(rejection.seq == 1 && rejection.conflicts.map(\.reason) == [.alreadyExists])
            #expect(try await alice.client.blob(vault, blob.id) == blob.bytes)
            #expect(try await harness.usedBytes(alice) == 100)
        }
    }

    @Test func aRejectedCommitLeavesNoBlobBehind() async throws {
        // Files: the database's home is covered by InlineBlobTests.
        try await SyncServerHarness.withVault({ $0.storage.inlineMaxBytes = 0 }) { harness, alice, vault in
            let kept = SyncSamples.blob(300)
            let file = SyncSamples.newFile(blobs: [kept.id])
            _ = try await alice.client.commit(vault, CommitRequest(changes: [file]), carrying: [kept])
            // A stale baseRev, then a parent that does not exist: each carries a new blob and one
            // the vault holds.
            let fresh = SyncSamples.blob(200), other = SyncSamples.blob(50)
            let stale = try await expectRejection(
                alice.client.commit(vault, CommitRequest(changes: [SyncSamples.newFile(file.entryId, blobs: [fresh.id])]), carrying: [fresh, kept]))
            #expect(stale.conflicts.map(\.reason) == [.alreadyExists])
            let orphan = SyncSamples.newFile(in: SyncSamples.entryID(), blobs: [other.id, kept.id])
            let missing = try await expectRejection(alice.client.commit(vault, CommitRequest(changes: [orphan]), carrying: [other, kept]))
            #expect(missing.conflicts.map(\.reason) == [.parentMissing])
            for refused in [fresh, other] {
                await expectRefusal(.notFound, status: 404) { () throws(APIClientError) in try await alice.client.blob(vault, refused.id) }
            }
            #expect(try await alice.client.blob(vault, kept.id) == kept.bytes)
            #expect(harness.blobFiles().count == 1 && harness.temporaryFiles().isEmpty)
            #expect(try await harness.usedBytes(alice) == 300)
            #expect(try await alice.client.missingBlobs(vault, [fresh.id, other.id, kept.id])
                == [fresh.id, other.id])
            #expect(try await harness.adminClient().checkStore().result == .clean)
        }
    }

    @Test func aRetryAnswersTheOriginalReceipt() async throws {
        // Files: the database's home is covered by InlineBlobTests.
        try await SyncServerHarness.withVault({ $0.storage.inlineMaxBytes = 0 }) { harness, alice, vault in
            let blob = SyncSamples.blob(1_000)
            let request = CommitRequest(commitId: CommitID(bytes: AccountsHarness.randomBytes(16)), changes: [SyncSamples.newFile(blobs: [blob.id])])
            #expect(try await alice.client.commit(vault, request, carrying: [blob]) == .committed(CommitReceipt(seq: 1, replayed: false)))
            _ = try await alice.client.commit(vault, CommitRequest(changes: [SyncSamples.newFile()]))
            // The answer was lost; the same request again, after another commit landed.
            #expect(try await alice.client.commit(vault, request, carrying: [blob]) == .committed(CommitReceipt(seq: 1, replayed: true)))
            #expect(try await entries(alice, vault).count == 2)
            #expect(try await harness.usedBytes(alice) == 1_000)
            #expect(harness.blobFiles().count == 1 && harness.temporaryFiles().isEmpty)
        }
    }

    @Test func aTransactionFailingAfterThePublicationLeavesNoBlobBehind() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let commitID = CommitID(bytes: AccountsHarness.randomBytes(16))
            _ = try await alice.client.commit(vault, CommitRequest(commitId: commitID, changes: [SyncSamples.newFile()]))
            // The reuse is found inside the commit's transaction, after the new blob was made
            // durable: the transaction rolls back and the file goes.
            let blob = SyncSamples.blob(700)
            let reuse = CommitRequest(commitId: commitID, changes: [SyncSamples.newFile(blobs: [blob.id])])
            await expectRefusal(.commitIDReused, status: 409) { () throws(APIClientError) in
                try await alice.client.commit(vault, reuse, carrying: [blob])
            }
            #expect(harness.blobFiles().isEmpty && harness.temporaryFiles().isEmpty)
            #expect(try await harness.usedBytes(alice) == 0)
            #expect(try await entries(alice, vault).count == 1)
            #expect(try await harness.adminClient().checkStore().result == .clean)
        }
    }

    /// The state a crash leaves between the carried blobs' publication and the commit's
    /// transaction: the file durable in place, no row, the reservation made. Nothing names the
    /// file (fsck sees an orphan, not damage), the start's reconciliation takes the reservation
    /// back, and the client's retry lands over the file already there.
    @Test func aCrashBeforeTheCommitsTransactionLosesNothing() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let blob = SyncSamples.blob(2_000)
            try harness.plantFile(vault: vault, blob: blob, age: 0)
            try await harness.app.accounts.quotas.reserve(2_000, forUser: alice.id)
            #expect(try await harness.adminClient().checkStore().result == .orphans)
            // What every start runs before serving.
            try await harness.app.sync.reconcileQuotaUsage()
            #expect(try await harness.usedBytes(alice) == 0)

            let request = CommitRequest(
                commitId: CommitID(bytes: AccountsHarness.randomBytes(16)), changes: [SyncSamples.newFile(blobs: [blob.id])])
            #expect(try await alice.client.commit(vault, request, carrying: [blob]) == .committed(CommitReceipt(seq: 1, replayed: false)))
            #expect(try await alice.client.blob(vault, blob.id) == blob.bytes)
            #expect(try await harness.usedBytes(alice) == 2_000)
            #expect(try await harness.adminClient().checkStore().result == .clean)
        }
    }

    @Test func aBlobNotMatchingItsIDCommitsNothing() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let good = SyncSamples.blob(64), claimed = SyncSamples.blob(64)
            let file = SyncSamples.newFile(blobs: [good.id, claimed.id])
            await expectRefusal(.blobHashMismatch, status: 400) { () throws(APIClientError) in
                try await alice.client.commit(
                    vault, CommitRequest(changes: [file]), carrying: [good, (id: claimed.id, bytes: good.bytes)])
            }
            let committed = try await entries(alice, vault)
            #expect(committed.isEmpty)
            #expect(harness.temporaryFiles().isEmpty)
        }
    }

    @Test func aBlobTheVaultHoldsIsStillCheckedAgainstItsID() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let held = SyncSamples.blob(128), other = SyncSamples.blob(128)
            _ = try await alice.client.commit(vault, CommitRequest(changes: [SyncSamples.newFile(blobs: [held.id])]), carrying: [held])
            await expectRefusal(.blobHashMismatch, status: 400) { () throws(APIClientError) in
                try await alice.client.commit(
                    vault, CommitRequest(changes: [SyncSamples.newFile(blobs: [held.id])]), carrying: [(id: held.id, bytes: other.bytes)])
            }
            #expect(try await entries(alice, vault).count == 1)
            #expect(try await alice.client.blob(vault, held.id) == held.bytes)
            #expect(try await harness.usedBytes(alice) == 128)
        }
    }

    @Test func overTheQuotaCommitsNothing() async throws {
        let harness = try await SyncServerHarness()
        defer { harness.removeData() }
        do {
            let carol = try await harness.user("carol", quota: 1_000)
            let vault = SyncSamples.vaultID()
            _ = try await carol.client.createVault(SyncSamples.createRequest(vault))
            let blob = SyncSamples.blob(5_000)
            await expectRefusal(.quotaExceeded, status: 507) { () throws(APIClientError) in
                try await carol.client.commit(vault, CommitRequest(changes: [SyncSamples.newFile(blobs: [blob.id])]), carrying: [blob])
            }
            #expect(try await entries(carol, vault).isEmpty)
            #expect(harness.blobFiles().isEmpty && harness.temporaryFiles().isEmpty)
            #expect(try await harness.usedBytes(carol) == 0)
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    @Test func overTheLimitsCommitsNothing() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let many = (0...CommitWithBlobs.maximumBlobs).map { _ in SyncSamples.blob(8) }
            await expectRefusal(.malformedBatch, status: 400) { () throws(APIClientError) in
                try await alice.client.commit(
                    vault, CommitRequest(changes: [SyncSamples.newFile(blobs: many.map(\.id))]), carrying: many)
            }
            // One blob whose record (header included) is just over the bytes a commit may carry.
            let large = SyncSamples.blob(CommitWithBlobs.maximumBlobBytes - BlobBatchFraming.recordHeaderBytes + 1)
            await expectRefusal(.invalidRequest, status: 400) { () throws(APIClientError) in
                try await alice.client.commit(vault, CommitRequest(changes: [SyncSamples.newFile(blobs: [large.id])]), carrying: [large])
            }
            let committed = try await entries(alice, vault)
            #expect(committed.isEmpty)
            #expect(harness.blobFiles().isEmpty && harness.temporaryFiles().isEmpty)
        }
    }

    @Test func onlyWritersMayCarryBlobs() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let bob = try await harness.user("bob")
            let blob = SyncSamples.blob(100)
            let change = SyncSamples.newFile(blobs: [blob.id])
            await expectRefusal(.notFound, status: 404) { () throws(APIClientError) in
                try await bob.client.commit(vault, CommitRequest(changes: [change]), carrying: [blob])
            }
            let readOnly = try harness.client(token: try await harness.login("alice", authKey: alice.authKey, scopes: [.read]))
            await expectRefusal(.forbidden, status: 403) { () throws(APIClientError) in
                try await readOnly.commit(vault, CommitRequest(changes: [change]), carrying: [blob])
            }
            #expect(try await entries(alice, vault).isEmpty)
            #expect(harness.blobFiles().isEmpty)
        }
    }

    /// The rejection `outcome` holds; records an issue when it holds none.
    private func expectRejection(
        _ outcome: SyncAPIClient.CommitResult, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> CommitRejection {
        guard case .rejected(let rejection) = outcome else {
            Issue.record("expected a rejected commit, got \(outcome)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        return rejection
    }
}
