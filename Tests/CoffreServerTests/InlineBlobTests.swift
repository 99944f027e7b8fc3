@testable import CoffreServer
import CoffreClient
import CoffreProtocol
import Foundation
import SQLiteStore
import Testing

/// Small blobs kept in the database (`storage.inlineMaxBytes`, docs/storage-blobs.md "Two
/// homes"): every path that stores, reads, counts or deletes a blob, with its bytes in
/// `blob_bytes` and no file, next to blobs that stay in files.
@Suite struct InlineBlobTests {
    /// The `blob_bytes` rows of the data directory: blob id to bytes.
    private func inlineRows(_ harness: SyncServerHarness) throws -> [BlobID: [UInt8]] {
        let database = try Connection(path: "\(harness.directory)/coffred.db", options: Connection.Options(access: .readOnly))
        defer { try? database.close() }
        var rows: [BlobID: [UInt8]] = [:]
        try database.query("SELECT hash, bytes FROM blob_bytes") { row in
            rows[BlobID(bytes: try row.blob(at: 0))!] = try row.blob(at: 1)
        }
        return rows
    }

    /// Runs one SQL statement on the data directory's database (to damage it on purpose).
    private func execute(_ harness: SyncServerHarness, _ sql: String, _ arguments: StatementArguments = []) throws {
        let database = try Connection(path: "\(harness.directory)/coffred.db")
        defer { try? database.close() }
        try database.execute(sql, arguments)
    }

    @Test func smallPutsGoToTheDatabaseLargerOnesToFiles() async throws {
        try await SyncServerHarness.withVault { (harness: SyncServerHarness, alice: SyncServerHarness.User, vault: VaultID) async throws in
            let small = SyncSamples.blob(4_100)
            let limit = SyncSamples.blob(16 << 10)
            let large = SyncSamples.blob((16 << 10) + 1)
            for blob in [small, limit, large] {
                #expect(try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes) == true)
                #expect(try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes) == false, "stored once")
            }
            #expect(try inlineRows(harness) == [small.id: small.bytes, limit.id: limit.bytes])
            let hex = large.id.hex
            let largePath = vault.hex + "/" + hex.prefix(2) + "/" + hex.dropFirst(2).prefix(2) + "/" + hex
            #expect(harness.blobFiles() == [largePath])
            for blob in [small, limit, large] { #expect(try await alice.client.blob(vault, blob.id) == blob.bytes) }
            #expect(try await alice.client.missingBlobs(vault, [small.id, large.id, SyncSamples.blob(5).id]).count == 1)
            #expect(try await harness.usedBytes(alice) == Int64(small.bytes.count + limit.bytes.count + large.bytes.count))
        }
    }

    /// The same requests against a blob in the database and the same blob in a file give the
    /// same status, fields and body: 200, HEAD, 206, 304, 412, 416 (RFC 9110 §13, §14).
    @Test(arguments: [0, 1, 4_100])
    func answersFromTheDatabaseEqualAnswersFromAFile(size: Int) async throws {
        let blob = SyncSamples.blob(size)
        let etag = "\"\(blob.id.hex)\""
        let requests: [(method: String, headers: [String: String])] = [
            ("GET", [:]), ("HEAD", [:]), ("GET", ["Range": "bytes=1-2"]), ("GET", ["Range": "bytes=-1"]),
            ("GET", ["If-None-Match": etag]), ("GET", ["If-Match": "\"other\""]), ("GET", ["Range": "bytes=\(size)-"]),
            ("GET", ["If-Range": etag, "Range": "bytes=0-0"]), ("GET", ["If-Range": "\"other\"", "Range": "bytes=0-0"]),
        ]
        var answers: [[String]] = []
        for threshold in [Int64(16 << 10), 0] {
            try await SyncServerHarness.withVault({ $0.storage.inlineMaxBytes = threshold }) { harness, alice, vault in
                try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes)
                #expect(try inlineRows(harness).count == (threshold > 0 ? 1 : 0))
                let raw = APITestClient(port: harness.app.localPort)
                var seen: [String] = []
                for request in requests {
                    // Twice: the second GET may come from the fast lane's cache.
                    for _ in 0..<2 {
                        let answer = try await raw.send(request.method, SyncPath.blob(vault, blob.id), token: alice.token, headers: request.headers)
                        let fields = ["ETag", "Accept-Ranges", "Content-Type", "Content-Range", "Content-Length", "Cache-Control"]
                        seen.append("\(answer.status) \(fields.map { answer.header($0) ?? "-" }) \(answer.body)")
                    }
                }
                answers.append(seen)
            }
        }
        #expect(answers.count == 2 && answers[0] == answers[1])
    }

    @Test func wrongBytesOrLengthsRecordNothingAndGiveTheQuotaBack() async throws {
        try await SyncServerHarness.withServer { harness in
            let alice = try await harness.user("alice", quota: 1 << 20)
            let vault = SyncSamples.vaultID()
            _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
            let blob = SyncSamples.blob(1_000)
            await expectRefusal(.blobHashMismatch, status: 400) { () throws(APIClientError) in
                try await alice.client.putBlob(vault, blob.id, bytes: SyncSamples.blob(1_000).bytes)
            }
            let raw = APITestClient(port: harness.app.localPort)
            let shortBody = try await raw.send("PUT", SyncPath.blob(vault, blob.id), token: alice.token, body: Array(blob.bytes.prefix(999)))
            #expect(shortBody.status >= 400)
            #expect(try await alice.client.missingBlobs(vault, [blob.id]) == [blob.id])
            #expect(try inlineRows(harness).isEmpty && harness.blobFiles().isEmpty)
            #expect(try await harness.usedBytes(alice) == 0)
        }
    }

    @Test func aBatchKeepsSmallBlobsInTheDatabaseAndFetchReadsBothHomes() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let small = (0..<5).map { _ in SyncSamples.blob(3_000) }
            let large = SyncSamples.blob(100_000)
            let wrong = (id: SyncSamples.blob(10).id, bytes: SyncSamples.blob(10).bytes)
            let result = try await alice.client.uploadBatch(vault, small + [large, wrong, small[0]])
            #expect(result.results.map(\.outcome) == Array(repeating: .stored, count: 6) + [.hashMismatch, .alreadyStored])
            #expect(try inlineRows(harness) == Dictionary(uniqueKeysWithValues: small.map { ($0.id, $0.bytes) }))
            #expect(harness.blobFiles().count == 1)
            #expect(try await harness.usedBytes(alice) == 115_000)
            let again = try await alice.client.uploadBatch(vault, [small[1], large])
            #expect(again.results.map(\.outcome) == [.alreadyStored, .alreadyStored])

            let ids = [small[2].id, large.id, wrong.id, small[4].id]
            let fetched = try await alice.client.fetchBlobs(vault, ids, capacities: Array(repeating: 1 << 20, count: ids.count))
            #expect(fetched == [.bytes(small[2].bytes), .bytes(large.bytes), .absent, .bytes(small[4].bytes)])
        }
    }

    @Test func aCommitStoresItsSmallBlobsInItsTransactionAndARejectedOneNone() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let small = SyncSamples.blob(2_000)
            let large = SyncSamples.blob(40_000)
            let file = SyncSamples.newFile(blobs: [small.id, large.id])
            let answer = try await alice.client.commit(vault, CommitRequest(changes: [file]), carrying: [small, large])
            #expect(answer == .committed(CommitReceipt(seq: 1, replayed: false)))
            #expect(try inlineRows(harness) == [small.id: small.bytes])
            #expect(harness.blobFiles().count == 1)
            #expect(try await alice.client.blob(vault, small.id) == small.bytes)

            // The same entry created again conflicts: the carried blob is not recorded.
            let refused = SyncSamples.blob(1_500)
            let conflict = try await alice.client.commit(
                vault, CommitRequest(changes: [SyncSamples.newFile(file.entryId, blobs: [refused.id])]), carrying: [refused])
            guard case .rejected = conflict else {
                Issue.record("expected a rejection, got \(conflict)")
                return
            }
            #expect(try inlineRows(harness).count == 1)
            #expect(try await alice.client.missingBlobs(vault, [refused.id]) == [refused.id])
            #expect(try await harness.usedBytes(alice) == 42_000)
        }
    }

    @Test func garbageCollectionAndVaultDeletionTakeTheBytesWithTheRows() async throws {
        try await SyncServerHarness.withServer({ $0.maintenance.gcGraceSeconds = 60 }) { harness in
            let alice = try await harness.user("alice", quota: 1 << 20)
            let vault = SyncSamples.vaultID()
            _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
            let kept = SyncSamples.blob(1_000)
            let dropped = SyncSamples.blob(2_000)
            try await alice.client.putBlob(vault, kept.id, bytes: kept.bytes)
            try await alice.client.putBlob(vault, dropped.id, bytes: dropped.bytes)
            _ = try await alice.client.commit(vault, CommitRequest(changes: [SyncSamples.newFile(blobs: [kept.id])]))
            // Read once, so the fast lane's cache holds it: collection must empty it.
            #expect(try await alice.client.blob(vault, dropped.id) == dropped.bytes)
            harness.clock.advance(by: 61)
            let collected = try await harness.adminClient().collectGarbage(dryRun: false)
            #expect(collected.blobs == 1 && collected.blobBytes == 2_000)
            #expect(try inlineRows(harness) == [kept.id: kept.bytes])
            #expect(try await alice.client.blobSize(vault, dropped.id) == nil)
            #expect(try await harness.usedBytes(alice) == 1_000)

            try await alice.client.deleteVault(vault)
            #expect(try inlineRows(harness).isEmpty)
            #expect(try await harness.usedBytes(alice) == 0)
        }
    }

    @Test func fsckVerifiesTheDatabasesBlobsAndBackupCarriesThem() async throws {
        let destination = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-backup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: destination) }
        try await SyncServerHarness.withVault { harness, alice, vault in
            let blobs = [SyncSamples.blob(3_000), SyncSamples.blob(3_000), SyncSamples.blob(50_000)]
            for blob in blobs { try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes) }
            _ = try await alice.client.commit(vault, CommitRequest(changes: blobs.map { SyncSamples.newFile(blobs: [$0.id]) }))
            let admin = try harness.adminClient()
            let clean = try await admin.checkStore()
            #expect(clean.result == .clean && clean.blobsChecked == 3 && clean.bytesChecked == 56_000)

            let report = try await admin.backup(to: destination)
            #expect(report.blobs == 3 && report.blobBytes == 56_000 && report.hardLinkedBlobs == 1)

            var altered = blobs[0].bytes
            altered[7] ^= 0x01
            try execute(harness, "UPDATE blob_bytes SET bytes = ? WHERE hash = ?", [altered, blobs[0].id.bytes])
            try execute(harness, "UPDATE blob_bytes SET bytes = ? WHERE hash = ?", [Array(blobs[1].bytes.prefix(10)), blobs[1].id.bytes])
            let quick = try await admin.checkStore(verifyHashes: false)
            #expect(quick.result == .damaged && quick.sizeMismatches.map(\.blobId) == [blobs[1].id] && quick.hashMismatchCount == 0)
            let damaged = try await admin.checkStore()
            #expect(damaged.result == .damaged)
            #expect(damaged.hashMismatches.map(\.blobId) == [blobs[0].id])
            #expect(damaged.sizeMismatches.map(\.blobId) == [blobs[1].id])
            #expect(damaged.missingBlobs.isEmpty && damaged.databaseProblems.isEmpty)
        }
        // The backup, started as a server, serves the small blobs from its database copy.
        let restored = try await SyncServerHarness(dataDirectory: destination)
        do {
            let check = try await restored.adminClient().checkStore()
            #expect(check.result == .clean && check.blobsChecked == 3)
        } catch {
            await restored.shutdown()
            throw error
        }
        await restored.shutdown()
    }

    /// A data directory from before migration 0005 (blobs only in files, no `blob_bytes`) opens,
    /// keeps serving its files, and stores new small blobs in the database.
    @Test func anOldLayoutStoreKeepsItsFilesAndStoresNewSmallBlobsInline() async throws {
        let old = SyncSamples.blob(2_000)
        let new = SyncSamples.blob(2_000)
        let (directory, token, vault) = try await oldLayoutStore(holding: old)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let second = try await SyncServerHarness(dataDirectory: directory)
        do {
            let client = try second.client(token: token)
            #expect(try await client.blob(vault, old.id) == old.bytes)
            #expect(try await client.putBlob(vault, old.id, bytes: old.bytes) == false, "held in a file: not stored again")
            #expect(try await client.putBlob(vault, new.id, bytes: new.bytes) == true)
            #expect(try inlineRows(second) == [new.id: new.bytes])
            #expect(second.blobFiles().count == 1)
            #expect(try await second.adminClient().checkStore().result == .clean)
        } catch {
            await second.shutdown()
            throw error
        }
        await second.shutdown()
    }

    /// A stopped server's data directory holding `blob` in a file, taken back to the schema of
    /// migration 0004 (no `blob_bytes`), with a device token of its owner and the vault.
    private func oldLayoutStore(holding blob: (id: BlobID, bytes: [UInt8])) async throws -> (String, String, VaultID) {
        let first = try await SyncServerHarness { $0.storage.inlineMaxBytes = 0 }
        let vault = SyncSamples.vaultID()
        let alice: SyncServerHarness.User
        do {
            alice = try await first.user("alice")
            _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
            try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes)
        } catch {
            await first.shutdown()
            first.removeData()
            throw error
        }
        await first.shutdown()
        defer { first.removeData() }
        // A copy: the stopped server keeps its data directory's locks until it is released.
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-old-layout-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: first.directory, toPath: copy)
        let database = try Connection(path: copy + "/coffred.db")
        defer { try? database.close() }
        try database.execute("DROP TABLE blob_bytes", [])
        try database.execute("PRAGMA user_version = 4", [])
        return (copy, alice.token, vault)
    }

    @Test func theThresholdIsBounded() throws {
        var settings = StorageSettings()
        settings.inlineMaxBytes = BlobLayer.inlineMaxBytesLimit + 1
        #expect(throws: ConfigurationError.self) { try settings.validate() }
        settings.inlineMaxBytes = -1
        #expect(throws: ConfigurationError.self) { try settings.validate() }
        settings.inlineMaxBytes = 0
        try settings.validate()
    }
}
