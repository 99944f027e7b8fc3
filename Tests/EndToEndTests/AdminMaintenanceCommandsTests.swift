import CoffreClient
import CoffreProtocol
import Foundation
import HTTPServer
import Testing

/// `coffre-admin gc`, `fsck` and `backup` against the real coffred, and `coffred --data DEST`
/// started from the backup.
@Suite("coffre-admin gc, fsck, backup (real binaries)")
struct AdminMaintenanceCommandsTests {
    @Test func gcFsckBackupAndRestore() async throws {
        let server = try CoffredProcess(environment: ["COFFRE_MAINTENANCE_GC_GRACE_SECONDS": "0"])
        let url = try server.waitUntilListening()
        let http = try SyncSession.httpClient()
        defer { http.shutdown() }
        let session = try SyncSession(url: url, dataDirectory: server.dataDirectory, http: http)
        let alice = try await session.user("alice")
        let client = session.client(alice.token)
        let vault = try await client.createVault(SyncSession.vault()).vaultId
        // Above storage.inlineMaxBytes (16 KiB): files; `small` lives in the database.
        let kept = SyncSession.blob(30_000)
        let garbage = SyncSession.blob(20_000)
        let small = SyncSession.blob(4_000)
        try await client.putBlob(vault, kept.id, bytes: kept.bytes)
        try await client.putBlob(vault, garbage.id, bytes: garbage.bytes)
        try await client.putBlob(vault, small.id, bytes: small.bytes)
        _ = try await client.commit(vault, CommitRequest(changes: [SyncSession.newFile(blobs: [kept.id, small.id])]))
        let admin = { (arguments: [String]) in
            try await CommandLineTool.run("coffre-admin", ["--data", server.dataDirectory] + arguments)
        }

        let clean = try await admin(["fsck"])
        #expect(clean.status == 0 && clean.stdout.contains("clean"), "\(clean)")
        // The grace period is 0 s, counted in whole seconds.
        try await Task.sleep(for: .seconds(1.1))
        let dry = try await admin(["gc", "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry)")
        let report = try JSONDecoder().decode(GarbageCollectionReport.self, from: Data(dry.stdout.utf8))
        #expect(report.dryRun && report.blobs == 1 && report.listedBlobs.first?.blobId == garbage.id)
        let collected = try await admin(["gc"])
        #expect(collected.status == 0 && collected.stdout.contains("deleted 1"), "\(collected)")
        #expect(try await client.missingBlobs(vault, [garbage.id]) == [garbage.id])

        let destination = CoffredProcess.temporaryDirectory("coffre-backup") + "/copy"
        defer { try? FileManager.default.removeItem(atPath: (destination as NSString).deletingLastPathComponent) }
        let backup = try await admin(["backup", destination])
        #expect(backup.status == 0 && backup.stdout.contains("--data \(destination)"), "\(backup)")
        let refused = try await admin(["backup", server.dataDirectory + "/inside"])
        #expect(refused.status == 1 && refused.stderr.contains("destination"), "\(refused)")

        // Damage: fsck says so and exits 8. (Written to a new file renamed over the blob: the
        // backup hard-linked the old one, and in-place damage would reach both names.)
        let hex = kept.id.hex
        let file = "\(server.dataDirectory)/blobs/\(vault.hex)/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))/\(hex)"
        try Data(SyncSession.random(10_000)).write(to: URL(fileURLWithPath: file), options: .atomic)
        let damaged = try await admin(["fsck"])
        #expect(damaged.status == 8 && damaged.stdout.contains("DAMAGED") && damaged.stdout.contains(hex), "\(damaged)")
        #expect(await server.stop() == 0)

        // coffred starts from the backup, which holds the intact blob.
        let restored = try CoffredProcess(dataDirectory: destination)
        let restoredURL = try restored.waitUntilListening()
        let restoredSession = try SyncSession(url: restoredURL, dataDirectory: server.dataDirectory, http: http)
        let restoredClient = restoredSession.client(alice.token)
        #expect(try await restoredClient.blob(vault, kept.id) == kept.bytes)
        #expect(try await restoredClient.blob(vault, small.id) == small.bytes, "carried by the database copy")
        #expect(try await restoredClient.changes(vault, since: 0).entries.count == 1)
        let check = try await CommandLineTool.run(
            "coffre-admin", ["--server", restoredURL, "--token", session.adminToken, "fsck", "--json"])
        #expect(check.status == 0, "\(check)")
        #expect(try JSONDecoder().decode(FsckReport.self, from: Data(check.stdout.utf8)).result == .clean)
        #expect(await restored.stop() == 0)
    }
}
