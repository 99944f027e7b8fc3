@testable import CoffreServer
import CoffreProtocol
import Foundation
import Testing

/// The blob GET's fast lane (`SmallBlobCache`, `SyncAPI.wholeBlobResponse`): a GET of a small
/// blob whose token, membership and bytes are cached is answered on the event loop, with the
/// very bytes the route sends; a larger blob's file is opened by the route's attempt when token
/// and membership are cached; everything else goes to the route, and so do requests after any
/// change that takes access or the blob away. Whether an answer came from the fast lane
/// is read from coffred's `/metrics` (`coffred_fast_lane_responses_total`).
@Suite struct BlobFastLaneTests {
    /// A response with its Date field taken out (two answers may straddle a second).
    private func withoutDate(_ response: APITestClient.Response) -> String {
        String(decoding: response.raw, as: UTF8.self).components(separatedBy: "\r\n")
            .filter { !$0.lowercased().hasPrefix("date:") }.joined(separator: "\r\n")
    }

    /// Over HTTP/1.0 the route's attempt answers; over plain HTTP/1.1 the lean fast lane
    /// (`BlobFastLane`) does, from the response `SmallBlobCache` prepared.
    @Test(arguments: [0, 1, 4_096, 16_384], [false, true])
    func theFastLaneAnswersByteForByteAsTheRoute(size: Int, http11: Bool) async throws {
        try await SyncServerHarness.withServer { harness in
            let alice = try await harness.user("alice")
            let raw = APITestClient(port: harness.app.localPort, http11: http11)
            let blob = SyncSamples.blob(size)
            for method in ["GET", "HEAD"] {
                // A vault of its own per method, so that the first request finds nothing cached.
                let vault = SyncSamples.vaultID()
                _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
                #expect(try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes) == true)
                let path = SyncPath.blob(vault, blob.id)
                let before = try await raw.fastLaneAnswers()
                let routed = try await raw.send(method, path, token: alice.token)
                #expect(try await raw.fastLaneAnswers() == before, "the first \(method) fills the caches through the route")
                let fast = try await raw.send(method, path, token: alice.token)
                #expect(try await raw.fastLaneAnswers() == before + 1, "the second \(method) takes the fast lane")
                #expect(fast.status == 200 && fast.header("Cache-Control") == "private, max-age=31536000, immutable")
                #expect(fast.header("ETag") == "\"\(blob.id.hex)\"" && fast.header("Content-Length") == "\(size)")
                #expect(fast.body == (method == "GET" ? blob.bytes : []))
                #expect(withoutDate(fast) == withoutDate(routed))
            }
        }
    }

    @Test func largerBlobsTakeTheAttemptAndConditionsAndRangesTheRoute() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let large = SyncSamples.blob(SmallBlobCache.maxBlobBytes + 1)
            let small = SyncSamples.blob(100)
            try await alice.client.putBlob(vault, large.id, bytes: large.bytes)
            try await alice.client.putBlob(vault, small.id, bytes: small.bytes)
            let raw = APITestClient(port: harness.app.localPort)
            let first = try await raw.send("GET", SyncPath.blob(vault, large.id), token: alice.token)
            #expect(first.status == 200 && first.body == large.bytes)
            // Token and membership are cached now: the file is opened and sent by the attempt.
            let afterFirst = try await raw.fastLaneAnswers()
            let read = try await raw.send("GET", SyncPath.blob(vault, large.id), token: alice.token)
            #expect(read.status == 200 && read.body == large.bytes && read.header("Content-Length") == "\(large.bytes.count)")
            #expect(withoutDate(read) == withoutDate(first), "the attempt answers as the route does")
            let afterLarge = try await raw.fastLaneAnswers()
            #expect(afterLarge == afterFirst + 1)

            let path = SyncPath.blob(vault, small.id)
            _ = try await raw.send("GET", path, token: alice.token)
            let tag = "\"\(small.id.hex)\""
            let notModified = try await raw.send("GET", path, token: alice.token, headers: ["If-None-Match": tag])
            #expect(notModified.status == 304 && notModified.body.isEmpty)
            let part = try await raw.send("GET", path, token: alice.token, headers: ["Range": "bytes=2-3"])
            #expect(part.status == 206 && part.body == Array(small.bytes[2...3]))
            let refused = try await raw.send("GET", path, token: alice.token, headers: ["If-Match": "\"other\""])
            #expect(refused.status == 412)
            #expect(try await raw.fastLaneAnswers() == afterLarge, "304, 206 and 412 of a cached blob come from the route")
            // A condition that leaves the answer a 200 of the whole blob is the fast lane's.
            let other = try await raw.send("GET", path, token: alice.token, headers: ["If-None-Match": "\"other\""])
            #expect(other.status == 200 && other.body == small.bytes)
            #expect(try await raw.fastLaneAnswers() == afterLarge + 1)
        }
    }

    /// A blob over the cache's limit, once token and membership are cached: its file is opened
    /// by the route's attempt, which gives every answer the route gives (RFC 9110 §13, §14).
    @Test func largerBlobFilesAnswerRangesConditionsAndHeadOnTheAttempt() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let large = SyncSamples.blob(SmallBlobCache.maxBlobBytes * 8 + 3)
            try await alice.client.putBlob(vault, large.id, bytes: large.bytes)
            let raw = APITestClient(port: harness.app.localPort)
            let path = SyncPath.blob(vault, large.id)
            #expect(try await raw.send("GET", path, token: alice.token).status == 200)
            let before = try await raw.fastLaneAnswers()
            let tag = "\"\(large.id.hex)\""

            let part = try await raw.send("GET", path, token: alice.token, headers: ["Range": "bytes=100000-"])
            #expect(part.status == 206 && part.body == Array(large.bytes[100_000...]))
            #expect(part.header("Content-Range") == "bytes 100000-\(large.bytes.count - 1)/\(large.bytes.count)")
            let notModified = try await raw.send("GET", path, token: alice.token, headers: ["If-None-Match": tag])
            #expect(notModified.status == 304 && notModified.body.isEmpty && notModified.header("ETag") == tag)
            let refused = try await raw.send("GET", path, token: alice.token, headers: ["If-Match": "\"other\""])
            #expect(refused.status == 412 && refused.body.isEmpty)
            let unsatisfiable = try await raw.send("GET", path, token: alice.token, headers: ["Range": "bytes=9999999-"])
            #expect(unsatisfiable.status == 416 && unsatisfiable.header("Content-Range") == "bytes */\(large.bytes.count)")
            let head = try await raw.send("HEAD", path, token: alice.token)
            #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == "\(large.bytes.count)")
            #expect(try await raw.fastLaneAnswers() == before + 5)

            // Another user's token, even cached, is not a member: the route answers 404.
            let mallory = try await harness.user("mallory")
            let own = SyncSamples.vaultID()
            _ = try await mallory.client.createVault(SyncSamples.createRequest(own))
            for _ in 0..<2 {
                let stranger = try await raw.send("GET", path, token: mallory.token)
                #expect(stranger.status == 404 && stranger.body != large.bytes)
            }
            #expect(try await raw.fastLaneAnswers() == before + 5)
        }
    }

    @Test(arguments: [false, true])
    func anotherUserOrAnotherVaultGets404(http11: Bool) async throws {
        try await SyncServerHarness.withServer { harness in
            let alice = try await harness.user("alice")
            let mallory = try await harness.user("mallory")
            let vault = SyncSamples.vaultID()
            let mallorys = SyncSamples.vaultID()
            _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
            _ = try await mallory.client.createVault(SyncSamples.createRequest(mallorys))
            let blob = SyncSamples.blob(4_096)
            try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes)
            let raw = APITestClient(port: harness.app.localPort, http11: http11)
            for _ in 0..<2 { _ = try await raw.send("GET", SyncPath.blob(vault, blob.id), token: alice.token) }
            // Mallory's token and her own vault's membership are cached too.
            let own = SyncSamples.blob(10)
            try await mallory.client.putBlob(mallorys, own.id, bytes: own.bytes)
            for _ in 0..<2 { _ = try await raw.send("GET", SyncPath.blob(mallorys, own.id), token: mallory.token) }
            let before = try await raw.fastLaneAnswers()

            let stranger = try await raw.send("GET", SyncPath.blob(vault, blob.id), token: mallory.token)
            #expect(stranger.status == 404 && stranger.body != blob.bytes)
            // The id of alice's blob under mallory's vault: not there, whatever alice cached.
            let elsewhere = try await raw.send("GET", SyncPath.blob(mallorys, blob.id), token: mallory.token)
            #expect(elsewhere.status == 404 && elsewhere.body != blob.bytes)
            let anonymous = try await raw.send("GET", SyncPath.blob(vault, blob.id))
            #expect(anonymous.status == 401 && anonymous.body != blob.bytes)
            let forgedToken = String(alice.token.dropLast()) + (alice.token.hasSuffix("A") ? "B" : "A")
            let forged = try await raw.send("GET", SyncPath.blob(vault, blob.id), token: forgedToken)
            #expect(forged.status == 401 && forged.body != blob.bytes)
            #expect(try await raw.fastLaneAnswers() == before, "none of these came from the fast lane")
        }
    }

    @Test(arguments: [false, true])
    func aTokenWithoutAReadingScopeIsRefusedLikeTheRoute(http11: Bool) async throws {
        try await SyncServerHarness.withServer { harness in
            let alice = try await harness.user("alice", isAdmin: true)
            let vault = SyncSamples.vaultID()
            _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
            let blob = SyncSamples.blob(64)
            try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes)
            let admin = try await harness.login("alice", authKey: alice.authKey, scopes: [.admin])
            let raw = APITestClient(port: harness.app.localPort, http11: http11)
            for _ in 0..<2 { _ = try await raw.send("GET", SyncPath.blob(vault, blob.id), token: alice.token) }
            for _ in 0..<2 {
                let refused = try await raw.send("GET", SyncPath.blob(vault, blob.id), token: admin)
                #expect(refused.status == 403 && refused.body != blob.bytes)
            }
            #expect(try await raw.fastLaneAnswers() == 1)
        }
    }

    @Test(arguments: [false, true])
    func blobsDeletedByGarbageCollectionAre404AtOnce(http11: Bool) async throws {
        try await SyncServerHarness.withVault({ $0.maintenance.gcGraceSeconds = 3_600 }) { harness, alice, vault in
            let unreferenced = SyncSamples.blob(2_000)
            try await alice.client.putBlob(vault, unreferenced.id, bytes: unreferenced.bytes)
            // Larger than the small-blob cache: its file is opened on the attempt lane.
            let large = SyncSamples.blob(SmallBlobCache.maxBlobBytes * 4)
            try await alice.client.putBlob(vault, large.id, bytes: large.bytes)
            let orphan = SyncSamples.blob(500)
            try harness.plantFile(vault: vault, blob: orphan, age: 0)
            harness.clock.advance(by: 3_601)
            let raw = APITestClient(port: harness.app.localPort, http11: http11)
            let paths = [SyncPath.blob(vault, unreferenced.id), SyncPath.blob(vault, large.id), SyncPath.blob(vault, orphan.id)]
            // The clock moved: the first GET writes "last seen" through the route.
            for path in paths {
                for _ in 0..<2 { #expect(try await raw.send("GET", path, token: alice.token).status == 200) }
            }
            let served = try await raw.fastLaneAnswers()
            #expect(served >= 3, "the small blobs were cached, the large one's file opened on the attempt")

            let report = try await harness.adminClient().collectGarbage(dryRun: false)
            #expect(report.blobs == 2 && report.orphanFiles == 1)
            for path in paths {
                let gone = try await raw.send("GET", path, token: alice.token)
                #expect(gone.status == 404 && gone.errorCode == "not_found")
            }
            #expect(try await raw.fastLaneAnswers() == served)
        }
    }
}

extension APITestClient {
    /// Blob GETs answered by the fast lane so far, from coffred's `/metrics`.
    func fastLaneAnswers() async throws -> Int {
        let metrics = try await send("GET", "/metrics").text
        let line = try #require(metrics.split(separator: "\n").first { $0.hasPrefix("coffred_fast_lane_responses_total ") })
        return try #require(Int(line.split(separator: " ")[1]))
    }
}
