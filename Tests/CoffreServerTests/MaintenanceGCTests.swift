@testable import CoffreServer
import CoffreClient
import CoffreProtocol
import Foundation
import Testing

/// Garbage collection through `POST /v1/admin/gc`: what goes (unreferenced blobs past the grace
/// period, unrecorded files, folders of deleted vaults), what stays, and the quota it gives back.
@Suite struct MaintenanceGCTests {
    @Test func dryRunReportsAndARealRunDeletesOnlyGarbage() async throws {
        // Files (small blobs kept in the database: InlineBlobTests).
        try await SyncServerHarness.withServer({
            $0.maintenance.gcGraceSeconds = 3_600
            $0.storage.inlineMaxBytes = 0
        }) { harness in
            let alice = try await harness.user("alice", quota: 1 << 20)
            let admin = try harness.adminClient()
            let vault = SyncSamples.vaultID()
            _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
            let kept = SyncSamples.blob(1_000)
            let unreferenced = SyncSamples.blob(2_000)
            try await alice.client.putBlob(vault, kept.id, bytes: kept.bytes)
            try await alice.client.putBlob(vault, unreferenced.id, bytes: unreferenced.bytes)
            _ = try await alice.client.commit(vault, CommitRequest(changes: [SyncSamples.newFile(blobs: [kept.id])]))
            let orphan = SyncSamples.blob(500)
            try harness.plantFile(vault: vault, blob: orphan, age: 0)
            let deletedVault = SyncSamples.vaultID()
            let leftover = SyncSamples.blob(300)
            try harness.plantFile(vault: deletedVault, blob: leftover, age: 0)

            // Within the grace period nothing goes.
            let early = try await admin.collectGarbage(dryRun: false)
            #expect(early.blobs == 0 && early.orphanFiles == 0)
            #expect(harness.blobFiles().count == 4)

            harness.clock.advance(by: 3_601)
            let dry = try await admin.collectGarbage(dryRun: true)
            #expect(dry.dryRun && dry.blobs == 1 && dry.blobBytes == 2_000)
            #expect(dry.listedBlobs == [VaultBlobReference(vaultId: vault, blobId: unreferenced.id, size: 2_000)])
            #expect(dry.orphanFiles == 2 && dry.orphanFileBytes == 800 && dry.orphanVaultFolders == 1)
            #expect(harness.blobFiles().count == 4, "a dry run deletes nothing")

            let real = try await admin.collectGarbage(dryRun: false)
            #expect(!real.dryRun && real.blobs == 1 && real.orphanFiles == 2)
            #expect(harness.blobFiles().count == 1)
            #expect(try await alice.client.missingBlobs(vault, [kept.id, unreferenced.id]) == [unreferenced.id])
            #expect(try await alice.client.blob(vault, kept.id) == kept.bytes)
            #expect(try await harness.usedBytes(alice) == 1_000, "the collected blob's bytes went back to alice")
            let again = try await admin.collectGarbage(dryRun: false)
            #expect(again.blobs == 0 && again.orphanFiles == 0)
        }
    }

    @Test func reuploadingRestartsTheGracePeriod() async throws {
        try await SyncServerHarness.withVault({ $0.maintenance.gcGraceSeconds = 3_600 }) { harness, alice, vault in
            let blob = SyncSamples.blob(100)
            try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes)
            harness.clock.advance(by: 3_000)
            try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes)
            harness.clock.advance(by: 1_000)
            #expect(try await harness.adminClient().collectGarbage(dryRun: false).blobs == 0)
            harness.clock.advance(by: 3_000)
            #expect(try await harness.adminClient().collectGarbage(dryRun: false).blobs == 1)
        }
    }

    /// GC and re-uploads of the same blobs at the same time: whatever the interleaving, a blob
    /// the vault records always has its file (the per-blob lock, docs/admin.md).
    @Test func collectionRacingReuploadsNeverLeavesARowWithoutItsFile() async throws {
        try await SyncServerHarness.withServer({ $0.maintenance.gcGraceSeconds = 3_600 }) { harness in
            let alice = try await harness.user("alice")
            let admin = try harness.adminClient()
            let vault = SyncSamples.vaultID()
            _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
            let blobs = (0..<8).map { _ in SyncSamples.blob(4_000) }
            for round in 0..<6 {
                for blob in blobs { try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes) }
                harness.clock.advance(by: 3_601)
                async let collected = admin.collectGarbage(dryRun: false)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for blob in blobs where blob.id.hex.hasSuffix("\(round % 2)") || round % 3 == 0 {
                        group.addTask { try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes) }
                    }
                    try await group.waitForAll()
                }
                _ = try await collected
                let missing = Set(try await alice.client.missingBlobs(vault, blobs.map(\.id)))
                for blob in blobs where !missing.contains(blob.id) {
                    #expect(try await alice.client.blob(vault, blob.id) == blob.bytes, "round \(round)")
                }
            }
            #expect(try await admin.checkStore().result != .damaged)
        }
    }
}
