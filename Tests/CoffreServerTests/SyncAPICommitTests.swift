@testable import CoffreServer
import CoffreClient
import CoffreProtocol
import Foundation
import Testing

/// Commits, the changes feed with long-poll, history and trash through the real routes.
@Suite struct SyncAPICommitTests {
    @Test func commitConflictReplayFeedHistoryAndTrash() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let blob = SyncSamples.blob(500)
            let file = SyncSamples.newFile(blobs: [blob.id])
            // Blobs before metadata: the commit names the missing blob.
            guard case .rejected(let missing) = try await alice.client.commit(vault, CommitRequest(changes: [file])) else {
                Issue.record("a commit referencing a missing blob must not land")
                return
            }
            #expect(missing.conflicts.map(\.reason) == [.missingBlobs] && missing.conflicts[0].missingBlobs == [blob.id])

            try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes)
            let commitID = CommitID(bytes: AccountsHarness.randomBytes(16))!
            let request = CommitRequest(commitId: commitID, changes: [file])
            #expect(try await alice.client.commit(vault, request) == .committed(CommitReceipt(seq: 1, replayed: false)))
            #expect(try await alice.client.commit(vault, request) == .committed(CommitReceipt(seq: 1, replayed: true)))
            await expectRefusal(.commitIDReused, status: 409) { () throws(APIClientError) in
                try await alice.client.commit(vault, CommitRequest(commitId: commitID, changes: [SyncSamples.newFile()]))
            }

            // A stale baseRev: 409 with the entry's current state.
            guard case .rejected(let stale) = try await alice.client.commit(vault, CommitRequest(changes: [file])) else {
                Issue.record("creating an existing entry must conflict")
                return
            }
            #expect(stale.seq == 1 && stale.conflicts.first?.reason == .alreadyExists && stale.conflicts.first?.current?.rev == 1)

            var edit = file
            edit.baseRev = 1
            edit.record = Base64Bytes([7, 7])
            #expect(try await alice.client.commit(vault, CommitRequest(changes: [edit])) == .committed(CommitReceipt(seq: 2, replayed: false)))
            var delete = edit
            delete.baseRev = 2
            delete.deleted = true
            #expect(try await alice.client.commit(vault, CommitRequest(changes: [delete])) == .committed(CommitReceipt(seq: 3, replayed: false)))

            let feed = try await alice.client.changes(vault, since: 0)
            #expect(feed.cursor == 3 && !feed.hasMore && feed.entries.map(\.entryId) == [file.entryId] && feed.entries[0].deleted)
            let history = try await alice.client.revisions(vault, entry: file.entryId)
            #expect(history.revisions.map(\.rev) == [3, 2, 1] && history.revisions[2].blobs == [blob.id])
            let page = try await alice.client.revisions(vault, entry: file.entryId, limit: 2)
            #expect(page.revisions.map(\.rev) == [3, 2] && page.nextBefore == 2)
            #expect(try await alice.client.trash(vault).entries.map(\.entryId) == [file.entryId])
            await expectRefusal(.notFound, status: 404) { () throws(APIClientError) in
                try await alice.client.revisions(vault, entry: SyncSamples.entryID())
            }

            // Cursors: ahead of the vault 409, older than the retained history 410.
            await expectRefusal(.cursorAhead, status: 409) { () throws(APIClientError) in
                try await alice.client.changes(vault, since: 99)
            }
            try await harness.app.database.queue.write { db in try db.execute("UPDATE vaults SET feed_floor = 2", []) }
            await expectRefusal(.cursorGone, status: 410) { () throws(APIClientError) in
                try await alice.client.changes(vault, since: 1)
            }
            #expect(try await alice.client.changes(vault, since: 2).entries.count == 1)
        }
    }

    @Test func longPollWakesOnACommitAndTimesOutEmpty() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let poll = Task { try await alice.client.changes(vault, since: 0, waitSeconds: 30) }
            while harness.app.sync.longPollWaiters == 0 { try await Task.sleep(for: .milliseconds(5)) }
            let file = SyncSamples.newFile()
            #expect(try await alice.client.commit(vault, CommitRequest(changes: [file])) == .committed(CommitReceipt(seq: 1, replayed: false)))
            let page = try await poll.value
            #expect(page.entries.map(\.entryId) == [file.entryId] && page.cursor == 1)

            let empty = try await alice.client.changes(vault, since: 1, waitSeconds: 1)
            #expect(empty.entries.isEmpty && empty.cursor == 1)
            let raw = APITestClient(port: harness.app.localPort)
            let tooLong = try await raw.send("GET", SyncPath.changes(vault, since: 0) + "&wait=100000", token: alice.token)
            #expect(tooLong.status == 400 && tooLong.errorCode == "invalid_query")
            let unknown = try await raw.send("GET", SyncPath.changes(vault, since: 0) + "&cursor=1", token: alice.token)
            #expect(unknown.status == 400 && unknown.errorCode == "invalid_query")
        }
    }

    @Test func malformedCommitsAreRefusedWithCodes() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let raw = APITestClient(port: harness.app.localPort)
            let path = SyncPath.commits(vault)
            let cases: [([UInt8], String)] = [
                (Array("[]".utf8), "malformed_json"),
                (Array("{\"changes\": 5}".utf8), "invalid_field"),
                (Array("{\"changes\": []}".utf8), "invalid_request"),
                (Array("{\"changes\": [{\"entryId\": \"XYZ\"}]}".utf8), "invalid_field"),
                (Array("{\"changes\"".utf8), "malformed_json"),
            ]
            for (body, code) in cases {
                let response = try await raw.send("POST", path, token: alice.token, body: body)
                #expect(response.status == 400 && response.errorCode == code, "\(String(decoding: body, as: UTF8.self))")
            }
            let huge = try await raw.send("POST", path, token: alice.token, body: [UInt8](repeating: 0x20, count: 17 << 20))
            #expect(huge.status == 413 && huge.errorCode == "body_too_large")
        }
    }
}
