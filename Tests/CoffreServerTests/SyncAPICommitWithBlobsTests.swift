@testable import CoffreServer
import CoffreClient
import CoffreProtocol
import Foundation
import Testing

/// Commits carrying their small blobs (`CommitWithBlobs`) through the real route: the blobs
/// are stored and charged before the commit lands, and every refusal — a blob not matching its
/// id, the quota, the limits, a caller who may not write — commits nothing.
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
        try await SyncServerHarness.withVault { _, alice, vault in
            let blob = SyncSamples.blob(100)
            let file = SyncSamples.newFile(blobs: [blob.id])
            _ = try await alice.client.commit(vault, CommitRequest(changes: [file]), carrying: [blob])
            // The same new entry again: its baseRev 0 no longer holds (409, the blob is kept).
            guard case .rejected(let rejection) = try await alice.client.commit(vault, CommitRequest(changes: [file]), carrying: [blob])
            else {
                Issue.record("a commit on a stale state must be rejected")
                return
            }
            #expect(rejection.seq == 1 && rejection.conflicts.map(\.reason) == [.alreadyExists])
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
}
