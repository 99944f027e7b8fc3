@testable import CoffreServer
import CoffreClient
import CoffreProtocol
import Foundation
import Testing

/// What the sync engine adds to the account services: erasure of the vaults a user alone owns,
/// vaults and blobs in the user's export, storage figures in the admin stats and `/metrics`.
@Suite struct SyncAccountHooksTests {
    @Test func deletingAnAccountDeletesTheVaultsItAloneOwnsAndKeepsShared() async throws {
        try await SyncServerHarness.withServer { harness in
            let alice = try await harness.user("alice")
            let bob = try await harness.user("bob")
            let own = SyncSamples.vaultID()
            let shared = SyncSamples.vaultID()
            let bobs = SyncSamples.vaultID()
            _ = try await alice.client.createVault(SyncSamples.createRequest(own))
            _ = try await alice.client.createVault(SyncSamples.createRequest(shared))
            _ = try await bob.client.createVault(SyncSamples.createRequest(bobs))
            let grant = [WrappedVaultKey(generation: 1, wrappedKey: Base64Bytes([1]))]
            try await alice.client.addMember(own, AddMemberRequest(userId: bob.id, role: .write, keys: grant))
            try await alice.client.addMember(shared, AddMemberRequest(userId: bob.id, role: .owner, keys: grant))
            try await bob.client.addMember(bobs, AddMemberRequest(userId: alice.id, role: .write, keys: grant))
            let aliceBlob = SyncSamples.blob(1_000)
            let bobBlob = SyncSamples.blob(2_000)
            try await alice.client.putBlob(own, aliceBlob.id, bytes: aliceBlob.bytes)
            try await bob.client.putBlob(own, bobBlob.id, bytes: bobBlob.bytes)
            let sharedBlob = SyncSamples.blob(500)
            try await alice.client.putBlob(shared, sharedBlob.id, bytes: sharedBlob.bytes)
            #expect(try await harness.usedBytes(bob) == 2_000)
            let poll = Task { try await bob.client.changes(own, since: 0, waitSeconds: 30) }
            while harness.app.sync.longPollWaiters == 0 { try await Task.sleep(for: .milliseconds(5)) }

            let raw = APITestClient(port: harness.app.localPort)
            #expect(try await raw.send("DELETE", "/v1/admin/users/alice", token: harness.adminToken).status == 204)

            // The vault alice alone owned is gone, rows and files; its waiter was woken.
            do {
                _ = try await poll.value
                Issue.record("the long poll must end with the vault gone")
            } catch let error as APIClientError {
                #expect(error.code == .notFound)
            }
            #expect(try await bob.client.vaults().vaults.map(\.vaultId).sorted() == [shared, bobs].sorted())
            #expect(!harness.blobFiles().contains { $0.hasPrefix(own.hex) })
            #expect(try await harness.usedBytes(bob) == 0, "bob's upload to the deleted vault was given back")
            // The shared vault stays, with its blob, now charged to nobody.
            #expect(try await bob.client.blob(shared, sharedBlob.id) == sharedBlob.bytes)
            #expect(try await bob.client.members(shared).members.map(\.userId) == [bob.id])
            #expect(try await bob.client.members(bobs).members.map(\.userId) == [bob.id])
        }
    }

    @Test func theExportHoldsTheUsersVaultsEntriesAndBlobs() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let blob = SyncSamples.blob(300_000)
            try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes)
            let file = SyncSamples.newFile(blobs: [blob.id])
            _ = try await alice.client.commit(vault, CommitRequest(changes: [file]))
            let raw = APITestClient(port: harness.app.localPort)
            let response = try await raw.send("GET", "/v1/account/export", token: alice.token)
            #expect(response.status == 200)
            let files = try TarReader.files(in: response.body)
            let folder = "coffre-export/vaults/\(vault.hex)"
            #expect(files.map(\.path).suffix(3) == [folder + "/vault.json", folder + "/entries-1.json", folder + "/blobs/\(blob.id.hex)"])
            let document = try JSONDecoder().decode(VaultExport.self, from: Data(files[files.count - 3].contents))
            #expect(document.vault.vaultId == vault && document.keys.count == 1 && document.members.members.count == 1)
            let entries = try JSONDecoder().decode(ChangesPage.self, from: Data(files[files.count - 2].contents))
            #expect(entries.entries.map(\.entryId) == [file.entryId])
            #expect(files.last?.contents == blob.bytes)
        }
    }

    @Test func statsAndMetricsCarryStorageTotals() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let blob = SyncSamples.blob(1_000)
            try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes)
            // Two files referencing the same blob: logical 2,000 bytes, physical 1,000.
            _ = try await alice.client.commit(
                vault, CommitRequest(changes: [SyncSamples.newFile(blobs: [blob.id]), SyncSamples.newFile(blobs: [blob.id])]))
            let stats = try await harness.adminClient().stats()
            let storage = try #require(stats.sync)
            #expect(storage.vaults == 1 && storage.total.blobs == 1 && storage.total.liveEntries == 2)
            #expect(storage.total.physicalBytes == 1_000 && storage.total.logicalBytes == 2_000 && storage.total.dedupRatio == 2)
            #expect(storage.largestVaults.map(\.vaultId) == [vault] && storage.vaultsNotListed == 0)
            let metrics = try await APITestClient(port: harness.app.localPort).send("GET", "/metrics").text
            #expect(metrics.contains("coffred_blob_physical_bytes 1000"))
            #expect(metrics.contains("coffred_blob_logical_bytes 2000"))
            #expect(metrics.contains("coffred_longpoll_waiters 0"))
            #expect(!metrics.contains(vault.hex) && !metrics.contains("alice"), "totals only, no per-user or per-vault labels")
        }
    }
}
