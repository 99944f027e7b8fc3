@testable import CoffreServer
import CoffreClient
import CoffreProtocol
import Foundation
import SQLiteStore
import Testing

/// fsck and backup through the admin routes, and a server started from a backup.
@Suite struct MaintenanceCheckAndBackupTests {
    /// A vault with three committed files, one blob each.
    private func populate(_ harness: SyncServerHarness) async throws -> (SyncServerHarness.User, VaultID, [(id: BlobID, bytes: [UInt8])]) {
        let alice = try await harness.user("alice")
        let vault = SyncSamples.vaultID()
        _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
        let blobs = (0..<3).map { _ in SyncSamples.blob(5_000) }
        for blob in blobs { try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes) }
        _ = try await alice.client.commit(vault, CommitRequest(changes: blobs.map { SyncSamples.newFile(blobs: [$0.id]) }))
        return (alice, vault, blobs)
    }

    private func path(_ harness: SyncServerHarness, _ vault: VaultID, _ id: BlobID) -> String {
        let hex = id.hex
        return "\(harness.directory)/blobs/\(vault.hex)/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))/\(hex)"
    }

    @Test func fsckFindsMissingResizedAndAlteredBlobsAndOrphans() async throws {
        // Files (small blobs kept in the database: InlineBlobTests).
        let harness = try await SyncServerHarness { $0.storage.inlineMaxBytes = 0 }
        defer { harness.removeData() }
        do {
            let (_, vault, blobs) = try await populate(harness)
            let admin = try harness.adminClient()
            let clean = try await admin.checkStore()
            #expect(clean.result == .clean && clean.blobsChecked == 3 && clean.bytesChecked == 15_000 && clean.hashesVerified)

            try harness.plantFile(vault: vault, blob: SyncSamples.blob(10), age: 0)
            #expect(try await admin.checkStore().result == .orphans)

            // Same size, one byte changed: only re-hashing sees it.
            var altered = blobs[0].bytes
            altered[100] ^= 0xFF
            try Data(altered).write(to: URL(fileURLWithPath: path(harness, vault, blobs[0].id)))
            try Data(blobs[1].bytes.prefix(10)).write(to: URL(fileURLWithPath: path(harness, vault, blobs[1].id)))
            try FileManager.default.removeItem(atPath: path(harness, vault, blobs[2].id))
            let quick = try await admin.checkStore(verifyHashes: false)
            #expect(quick.result == .damaged && !quick.hashesVerified && quick.hashMismatchCount == 0)
            let damaged = try await admin.checkStore()
            #expect(damaged.result == .damaged)
            #expect(damaged.hashMismatches.map(\.blobId) == [blobs[0].id])
            #expect(damaged.sizeMismatches.map(\.blobId) == [blobs[1].id])
            #expect(damaged.missingBlobs.map(\.blobId) == [blobs[2].id])
            #expect(damaged.orphanFileCount == 1 && damaged.orphanFileBytes == 10)
            #expect(damaged.databaseProblems.isEmpty)

            // A reference count below the truth, which garbage collection would trust.
            let database = try Connection(path: "\(harness.directory)/coffred.db")
            try database.execute("UPDATE blobs SET refs = 0")
            try database.close()
            let miscounted = try await admin.checkStore(verifyHashes: false)
            #expect(miscounted.result == .damaged)
            #expect(miscounted.databaseProblems == ["3 blob reference counts disagree with the revisions naming them"])
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    @Test func backupStartsAsAServerWithTheSameData() async throws {
        let harness = try await SyncServerHarness { $0.storage.inlineMaxBytes = 0 }
        defer { harness.removeData() }
        let destination = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-backup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: destination) }
        let (alice, vault, blobs) = try await populate(harness)
        let feed = try await alice.client.changes(vault, since: 0)
        let admin = try harness.adminClient()
        let report = try await admin.backup(to: destination)
        #expect(report.blobs == 3 && report.blobBytes == 15_000 && report.hardLinkedBlobs == 3)
        #expect(FileManager.default.fileExists(atPath: destination + "/backup-manifest.json"))
        #expect(!FileManager.default.fileExists(atPath: destination + "/admin.token"))
        // Work after the backup is not in it.
        _ = try await alice.client.commit(vault, CommitRequest(changes: [SyncSamples.newFile()]))
        await harness.shutdown()

        let restored = try await SyncServerHarness(dataDirectory: destination)
        do {
            let client = try restored.client(token: alice.token)
            #expect(try await client.changes(vault, since: 0) == feed)
            for blob in blobs { #expect(try await client.blob(vault, blob.id) == blob.bytes) }
            #expect(try await client.vaults().vaults.first?.seq == 1)
            #expect(try await restored.adminClient(token: harness.adminToken).checkStore().result == .clean)
        } catch {
            await restored.shutdown()
            throw error
        }
        await restored.shutdown()
    }

    @Test func backupRefusesUnsafeDestinations() async throws {
        let harness = try await SyncServerHarness()
        defer { harness.removeData() }
        do {
            let admin = try harness.adminClient()
            let occupied = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-occupied-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: occupied, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: occupied) }
            try Data([1]).write(to: URL(fileURLWithPath: occupied + "/file"))
            for destination in [
                "relative/dir", "/tmp/../etc/x", harness.directory + "/inside", harness.directory, occupied,
                "/nonexistent-\(UUID().uuidString)/x", "/tmp//x",
            ] {
                await expectRefusal(.invalidField, status: 400) { () throws(APIClientError) in
                    try await admin.backup(to: destination)
                }
            }
            let alice = try await harness.user("alice")
            let notAdmin = try harness.adminClient(token: alice.token)
            await expectRefusal(.forbidden, status: 403) { () throws(APIClientError) in
                try await notAdmin.backup(to: "/tmp/x")
            }
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }
}
