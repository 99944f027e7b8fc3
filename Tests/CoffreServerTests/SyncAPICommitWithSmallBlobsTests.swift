@testable import CoffreServer
import CoffreClient
import CoffreProtocol
import Foundation
import Testing

/// Commits carrying only blobs that live in the database (`BlobLayer.commitSmall`, the WebDAV
/// gateway's small PUT): the role, which blobs are new and their quota are all settled inside
/// the commit's transaction, with no read before it. Each refusal leaves no entry, no blob row
/// and no charge; a blob is charged once, to the commit that first stored it.
@Suite struct SyncAPICommitWithSmallBlobsTests {
    private func entries(_ user: SyncServerHarness.User, _ vault: VaultID) async throws -> [EntryID] {
        try await user.client.changes(vault, since: 0).entries.map(\.entryId)
    }

    @Test func onlyBlobsNewToTheVaultAreChargedUpToTheLastByte() async throws {
        let harness = try await SyncServerHarness()
        defer { harness.removeData() }
        do {
            let carol = try await harness.user("carol", quota: 1_000)
            let vault = SyncSamples.vaultID()
            _ = try await carol.client.createVault(SyncSamples.createRequest(vault))
            let held = SyncSamples.blob(600), fits = SyncSamples.blob(400), over = SyncSamples.blob(1)
            _ = try await carol.client.commit(vault, CommitRequest(changes: [SyncSamples.newFile(blobs: [held.id])]), carrying: [held])
            #expect(try await harness.usedBytes(carol) == 600)
            // The held blob again costs nothing; the new one takes the quota's last 400 bytes.
            let second = SyncSamples.newFile(blobs: [held.id, fits.id])
            #expect(try await carol.client.commit(vault, CommitRequest(changes: [second]), carrying: [held, fits])
                == .committed(CommitReceipt(seq: 2, replayed: false)))
            #expect(try await harness.usedBytes(carol) == 1_000)
            // One byte more is refused, in the transaction: nothing of the commit stays.
            await expectRefusal(.quotaExceeded, status: 507) { () throws(APIClientError) in
                try await carol.client.commit(
                    vault, CommitRequest(changes: [SyncSamples.newFile(blobs: [held.id, over.id])]), carrying: [held, over])
            }
            #expect(try await entries(carol, vault).count == 2)
            #expect(try await harness.usedBytes(carol) == 1_000)
            #expect(try await carol.client.missingBlobs(vault, [held.id, fits.id, over.id]) == [over.id])
            #expect(harness.blobFiles().isEmpty && harness.temporaryFiles().isEmpty)
            #expect(try await harness.adminClient().checkStore().result == .clean)
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    /// The commit's rules are checked before the quota: a commit that could not land is a
    /// conflict (409) even when its blobs would not fit, and reserves nothing.
    @Test func aConflictOverTheQuotaIsAConflictAndChargesNothing() async throws {
        let harness = try await SyncServerHarness()
        defer { harness.removeData() }
        do {
            let carol = try await harness.user("carol", quota: 100)
            let vault = SyncSamples.vaultID()
            _ = try await carol.client.createVault(SyncSamples.createRequest(vault))
            let blob = SyncSamples.blob(500)
            let orphan = SyncSamples.newFile(in: SyncSamples.entryID(), blobs: [blob.id])
            guard case .rejected(let rejection) = try await carol.client.commit(vault, CommitRequest(changes: [orphan]), carrying: [blob])
            else {
                Issue.record("expected a conflict")
                return
            }
            #expect(rejection.conflicts.map(\.reason) == [.parentMissing])
            #expect(try await harness.usedBytes(carol) == 0)
            #expect(try await carol.client.missingBlobs(vault, [blob.id]) == [blob.id])
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    /// Commits racing with the same new blob: whichever lands first stores and pays for it, the
    /// others find it held in their own transaction.
    @Test func racingCommitsOfOneNewBlobChargeItOnce() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let blob = SyncSamples.blob(3_000)
            let client = alice.client
            let outcomes = try await withThrowingTaskGroup(of: SyncAPIClient.CommitResult.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await client.commit(vault, CommitRequest(changes: [SyncSamples.newFile(blobs: [blob.id])]), carrying: [blob])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.allSatisfy { if case .committed = $0 { true } else { false } })
            #expect(try await entries(alice, vault).count == 6)
            #expect(try await harness.usedBytes(alice) == 3_000)
            #expect(try await alice.client.blob(vault, blob.id) == blob.bytes)
            #expect(try await harness.adminClient().checkStore().result == .clean)
        }
    }

    /// A caller without the write role learns nothing and pays nothing, whatever it carries.
    @Test func aReaderCarryingSmallBlobsIsRefusedBeforeAnyCharge() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let readOnly = try harness.client(token: try await harness.login("alice", authKey: alice.authKey, scopes: [.read]))
            let blob = SyncSamples.blob(2_000)
            await expectRefusal(.forbidden, status: 403) { () throws(APIClientError) in
                try await readOnly.commit(vault, CommitRequest(changes: [SyncSamples.newFile(blobs: [blob.id])]), carrying: [blob])
            }
            #expect(try await harness.usedBytes(alice) == 0)
            #expect(try await alice.client.missingBlobs(vault, [blob.id]) == [blob.id])
            #expect(try await entries(alice, vault).isEmpty)
        }
    }
}
