import CoffreClient
import CoffreProtocol
import Foundation
import Glibc
import HTTPServer
import Synchronization
import Testing

/// The real coffred killed with SIGKILL at random moments while a client uploads blobs and
/// commits in a loop, then restarted on the same data, again and again: every acknowledged
/// commit is there with its blobs, nothing dangles (fsck), the temp files of interrupted uploads
/// are gone.
@Suite("coffred crash safety (real binary, SIGKILL)")
struct SyncCrashTests {
    /// What the server acknowledged: a commit's seq, its entry and blobs.
    struct Acknowledged: Sendable {
        let seq: Int64
        let entry: EntryID
        let blobs: [(id: BlobID, bytes: [UInt8])]
    }

    final class Ledger: Sendable {
        private let items = Mutex<[Acknowledged]>([])
        func add(_ item: Acknowledged) { items.withLock { $0.append(item) } }
        var all: [Acknowledged] { items.withLock { $0 } }
    }

    /// Uploads one to three blobs (single PUTs, one batch, or carried by the commit's own
    /// request) and commits a file naming them, until the server stops answering.
    static func work(_ client: SyncAPIClient, vault: VaultID, ledger: Ledger) async {
        var round = 0
        while true {
            round += 1
            let blobs = (0..<Int.random(in: 1...3)).map { _ in SyncSession.blob(Int.random(in: 1...100_000)) }
            do {
                let file = SyncSession.newFile(blobs: blobs.map(\.id))
                let request = CommitRequest(commitId: CommitID(bytes: SyncSession.random(16)), changes: [file])
                let result: SyncAPIClient.CommitResult
                switch round % 3 {
                case 0:
                    _ = try await client.uploadBatch(vault, blobs.map { (id: $0.id, bytes: $0.bytes) })
                    result = try await client.commit(vault, request)
                case 1:
                    // The blobs in the commit's request, recorded by its transaction.
                    result = try await client.commit(vault, request, carrying: blobs.map { (id: $0.id, bytes: $0.bytes) })
                default:
                    for blob in blobs { try await client.putBlob(vault, blob.id, bytes: blob.bytes) }
                    result = try await client.commit(vault, request)
                }
                guard case .committed(let receipt) = result else {
                    Issue.record("a fresh file must not conflict")
                    return
                }
                ledger.add(Acknowledged(seq: receipt.seq, entry: file.entryId, blobs: blobs))
            } catch {
                return  // the server was killed
            }
        }
    }

    @Test func killedRepeatedlyLosesNoAcknowledgedCommit() async throws {
        let dataDirectory = CoffredProcess.temporaryDirectory("coffred-crash")
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let ledger = Ledger()
        var vault: VaultID?
        var token = ""
        let kills = 12
        for round in 0...kills {
            let server = try CoffredProcess(dataDirectory: dataDirectory)
            let url = try server.waitUntilListening()
            let http = try SyncSession.httpClient()
            defer { http.shutdown() }
            let session = try SyncSession(url: url, dataDirectory: dataDirectory, http: http)
            if vault == nil {
                let alice = try await session.user("alice")
                token = alice.token
                vault = try await session.client(token).createVault(SyncSession.vault()).vaultId
            }
            let client = session.client(token)
            try await Self.verify(client, vault: try #require(vault), ledger: ledger, dataDirectory: dataDirectory, round: round)
            guard round < kills else {
                let report = try await session.admin.checkStore()
                #expect(report.result != .damaged, "\(report)")
                #expect(report.danglingReferences.isEmpty && report.missingBlobCount == 0)
                #expect(await server.stop() == 0)
                break
            }
            // Work, then SIGKILL at a random moment: during an upload, a publish, a commit.
            let current = try #require(vault)
            let worker = Task { await Self.work(client, vault: current, ledger: ledger) }
            // At least one commit is acknowledged in each round however slow the machine is
            // (bounded: a server that acknowledges nothing fails the count below), then the
            // kill lands at a random moment of the work that follows.
            let before = ledger.all.count
            for _ in 0..<3_000 where ledger.all.count == before { try await Task.sleep(for: .milliseconds(10)) }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...500)))
            #expect(await server.stop(signal: SIGKILL) != nil)
            await worker.value
        }
        #expect(ledger.all.count > kills, "the loop acknowledged work between the kills")
    }

    /// Every acknowledged commit is in the feed at its seq, its blobs readable and intact; no
    /// upload's temp file survived the restart.
    static func verify(_ client: SyncAPIClient, vault: VaultID, ledger: Ledger, dataDirectory: String, round: Int) async throws {
        var states: [EntryID: Int64] = [:]
        var since: Int64 = 0
        var more = true
        while more {
            let page = try await client.changes(vault, since: since)
            for entry in page.entries { states[entry.entryId] = entry.rev }
            since = page.cursor
            more = page.hasMore
        }
        for item in ledger.all {
            #expect(states[item.entry] == item.seq, "round \(round): acknowledged commit \(item.seq) lost")
            for blob in item.blobs {
                #expect(try await client.blob(vault, blob.id) == blob.bytes, "round \(round): blob of commit \(item.seq)")
            }
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/tmp")
            .filter { $0.hasPrefix("blob-upload-") || $0.hasPrefix("blob-deleting-") }
        #expect(leftovers.isEmpty, "round \(round): \(leftovers)")
    }
}
