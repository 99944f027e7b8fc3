@testable import CoffreServer
import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Foundation
import Testing

/// Blob upload and download through the real routes: hashing, sizes, ranges, validators,
/// quota, 100-continue, the missing query and batches.
@Suite struct SyncAPIBlobTests {
    @Test func putGetRangeValidatorsAndHead() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let blob = SyncSamples.blob(300_000)
            #expect(try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes) == true)
            #expect(try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes) == false, "a re-put finds it stored")
            #expect(try await alice.client.blob(vault, blob.id) == blob.bytes)
            #expect(try await alice.client.blobSize(vault, blob.id) == 300_000)
            #expect(try await alice.client.blobSize(vault, SyncSamples.blob(10).id) == nil)

            var part: [UInt8] = []
            let status = try await alice.client.blob(vault, blob.id, range: 1_000...1_999) { part += $0 }
            #expect(status == 206 && part == Array(blob.bytes[1_000...1_999]))

            let raw = APITestClient(port: harness.app.localPort)
            let path = SyncPath.blob(vault, blob.id)
            let full = try await raw.send("GET", path, token: alice.token)
            #expect(full.header("ETag") == "\"\(blob.id.hex)\"")
            #expect(full.header("Cache-Control")?.contains("private") == true)
            let cached = try await raw.send("GET", path, token: alice.token, headers: ["If-None-Match": "\"\(blob.id.hex)\""])
            #expect(cached.status == 304 && cached.body.isEmpty)
            let beyond = try await raw.send("GET", path, token: alice.token, headers: ["Range": "bytes=400000-"])
            #expect(beyond.status == 416 && beyond.header("Content-Range") == "bytes */300000")
            let head = try await raw.send("HEAD", path, token: alice.token)
            #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == "300000")
        }
    }

    /// Blobs of at most 16 KiB are read and sent with the response head in one send (the HTTP
    /// connection does that for small files), larger ones with sendfile(2): both must give the
    /// same answers, full, conditional and ranged, on either side of the limit and for an
    /// empty blob.
    @Test(arguments: [0, 1, 4_096, 16_384, 16_385])
    func smallBlobsAnswerLikeFileResponses(size: Int) async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let blob = SyncSamples.blob(size)
            #expect(try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes) == true)

            let raw = APITestClient(port: harness.app.localPort)
            let path = SyncPath.blob(vault, blob.id)
            let full = try await raw.send("GET", path, token: alice.token)
            #expect(full.status == 200 && full.body == blob.bytes)
            #expect(full.header("Content-Length") == "\(size)")
            #expect(full.header("ETag") == "\"\(blob.id.hex)\"")
            #expect(full.header("Accept-Ranges") == "bytes")
            #expect(full.header("Content-Type") == "application/octet-stream")
            #expect(full.header("Cache-Control") == "private, max-age=31536000, immutable")
            let head = try await raw.send("HEAD", path, token: alice.token)
            #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == "\(size)")
            let cached = try await raw.send("GET", path, token: alice.token, headers: ["If-None-Match": "\"\(blob.id.hex)\""])
            #expect(cached.status == 304 && cached.body.isEmpty)
            let other = try await raw.send("GET", path, token: alice.token, headers: ["If-None-Match": "\"other\""])
            #expect(other.status == 200 && other.body == blob.bytes)
            let beyond = try await raw.send("GET", path, token: alice.token, headers: ["Range": "bytes=\(size)-"])
            #expect(beyond.status == 416 && beyond.header("Content-Range") == "bytes */\(size)")
            if size > 1 {
                let part = try await raw.send("GET", path, token: alice.token, headers: ["Range": "bytes=1-1"])
                #expect(part.status == 206 && part.body == [blob.bytes[1]] && part.header("Content-Range") == "bytes 1-1/\(size)")
            }
            let stranger = try await harness.user("mallory")
            let refused = try await raw.send("GET", path, token: stranger.token)
            #expect(refused.status == 404 && refused.body != blob.bytes)
        }
    }

    @Test func wrongBytesAndWrongLengthsAreRefusedAndLeaveNothing() async throws {
        try await SyncServerHarness.withServer({ $0.storage.maxBlobBytes = 1 << 20 }) { harness in
            let alice = try await harness.user("alice", quota: 10 << 20)
            let vault = SyncSamples.vaultID()
            _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
            let blob = SyncSamples.blob(1_000)
            let other = SyncSamples.blob(1_000)
            await expectRefusal(.blobHashMismatch, status: 400) { () throws(APIClientError) in
                try await alice.client.putBlob(vault, blob.id, bytes: other.bytes)
            }
            let raw = APITestClient(port: harness.app.localPort)
            let path = SyncPath.blob(vault, blob.id)
            let tooLarge = try await raw.send("PUT", path, token: alice.token, body: [UInt8](repeating: 1, count: (1 << 20) + 1))
            #expect(tooLarge.status == 413 && tooLarge.errorCode == "body_too_large")
            let chunked = try ContinueProbe(port: harness.app.localPort)
            try await chunked.send(Array((
                "PUT \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(alice.token)\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").utf8))
            #expect(try await chunked.readHead().status == 411)
            let badID = try await raw.send("PUT", SyncPath.vault(vault) + "/blobs/ABC", token: alice.token, body: [1])
            #expect(badID.status == 400 && badID.errorCode == "invalid_request")
            let badVault = try await raw.send("GET", "/v1/vaults/zz/blobs/\(blob.id.hex)", token: alice.token)
            #expect(badVault.status == 400 && badVault.errorCode == "invalid_request")
            #expect(harness.blobFiles().isEmpty)
            #expect(harness.temporaryFiles().isEmpty)
            #expect(try await harness.usedBytes(alice) == 0, "every reservation was given back")
        }
    }

    /// Parallel PUTs share their rows' transaction (`UploadRecordGroups`): one with the wrong
    /// bytes and one whose client goes away mid-body fail alone, every other one is stored
    /// and charged, and nothing is left in tmp/.
    @Test func parallelPutsFailAloneAndTheOthersAreStored() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let good = [2 << 20, 300_000, 300_000, 40_000, 4_096, (1 << 20) + 1].map { SyncSamples.blob($0) }
            let wrong = (id: SyncSamples.blob(300_000).id, bytes: SyncSamples.blob(300_000).bytes)
            let short = SyncSamples.blob(400_000)
            let port = harness.app.localPort
            let refusedWrong = try await withThrowingTaskGroup(of: Bool.self) { tasks in
                for blob in good {
                    tasks.addTask { try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes) == true }
                }
                tasks.addTask {
                    do throws(APIClientError) {
                        _ = try await alice.client.putBlob(vault, wrong.id, bytes: wrong.bytes)
                        return false
                    } catch {
                        return error.code == .blobHashMismatch
                    }
                }
                tasks.addTask {
                    try await Self.sendHalf(of: short, to: SyncPath.blob(vault, short.id), port: port, token: alice.token)
                    return true
                }
                return try await tasks.reduce(true) { $0 && $1 }
            }
            #expect(refusedWrong, "every good PUT was new and the wrong bytes were refused as such")
            for blob in good { #expect(try await alice.client.blob(vault, blob.id) == blob.bytes) }
            #expect(try await alice.client.blobSize(vault, wrong.id) == nil)
            #expect(try await alice.client.blobSize(vault, short.id) == nil)
            #expect(harness.blobFiles().count == good.count - 1, "the 4 KiB blob lives in the database")
            // The cut-off PUT ends on the server after the client has gone: wait for its clean-up.
            let charged = Int64(good.reduce(0) { $0 + $1.bytes.count })
            for _ in 0..<500 {
                if try await harness.usedBytes(alice) == charged && harness.temporaryFiles().isEmpty { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(harness.temporaryFiles().isEmpty)
            #expect(try await harness.usedBytes(alice) == charged, "the failed PUTs' reservations were given back")
        }
    }

    /// Blobs written with direct I/O take their body straight into the upload's buffers
    /// (`BlobLayer.fill`): wrong bytes and a client gone mid-body fail there as elsewhere, and
    /// leave no file, no row and no charge; sizes around the buffers' edges are stored whole.
    @Test func directUploadsFilledFromTheSocketRefuseWrongAndCutBodies() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let right = SyncSamples.blob(3 << 20)
            let wrong = SyncSamples.blob(3 << 20)
            await expectRefusal(.blobHashMismatch, status: 400) { () throws(APIClientError) in
                try await alice.client.putBlob(vault, right.id, bytes: wrong.bytes)
            }
            let cut = SyncSamples.blob((2 << 20) + 5)
            try await Self.sendHalf(of: cut, to: SyncPath.blob(vault, cut.id), port: harness.app.localPort, token: alice.token)
            for _ in 0..<500 where !harness.temporaryFiles().isEmpty {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(harness.temporaryFiles().isEmpty)
            #expect(harness.blobFiles().isEmpty)
            #expect(try await harness.usedBytes(alice) == 0, "every reservation was given back")
            let sizes = [1 << 20, (1 << 20) + 1, 2 << 20, (4 << 20) - 1]
            for size in sizes {
                let blob = SyncSamples.blob(size)
                #expect(try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes))
                #expect(try await alice.client.blob(vault, blob.id) == blob.bytes)
            }
            #expect(try await harness.usedBytes(alice) == Int64(sizes.reduce(0, +)))
        }
    }

    /// Announces `blob`'s length, sends half of its bytes and closes the connection.
    private static func sendHalf(of blob: (id: BlobID, bytes: [UInt8]), to path: String, port: Int, token: String) async throws {
        let probe = try ContinueProbe(port: port)
        try await probe.send(Array((
            "PUT \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Length: \(blob.bytes.count)\r\n\r\n").utf8))
        try await probe.send(Array(blob.bytes.prefix(blob.bytes.count / 2)))
    }

    @Test func quotaIsReservedBeforeTheBodyAndChargedOncePerVault() async throws {
        try await SyncServerHarness.withServer { harness in
            let alice = try await harness.user("alice", quota: 5_000)
            let vault = SyncSamples.vaultID()
            _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
            let first = SyncSamples.blob(3_000)
            try await alice.client.putBlob(vault, first.id, bytes: first.bytes)
            #expect(try await harness.usedBytes(alice) == 3_000)
            try await alice.client.putBlob(vault, first.id, bytes: first.bytes)
            #expect(try await harness.usedBytes(alice) == 3_000, "re-putting a stored blob costs nothing")

            // Over quota: 507 before the body, with 100-continue.
            let second = SyncSamples.blob(3_000)
            let probe = try ContinueProbe(port: harness.app.localPort)
            try await probe.send(Array((
                "PUT \(SyncPath.blob(vault, second.id)) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(alice.token)\r\n"
                + "Content-Length: 3000\r\nExpect: 100-continue\r\n\r\n").utf8))
            #expect(try await probe.readHead().status == 507)

            // Within quota: 100 first, then the body, then 201.
            let small = SyncSamples.blob(1_000)
            let accepted = try ContinueProbe(port: harness.app.localPort)
            try await accepted.send(Array((
                "PUT \(SyncPath.blob(vault, small.id)) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(alice.token)\r\n"
                + "Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n").utf8))
            #expect(try await accepted.readHead().status == 100)
            try await accepted.send(small.bytes)
            #expect(try await accepted.readHead().status == 201)

            // 401 and 413 before the body too.
            for (token, length, expected) in [("cft_wrong", 10, 401), (alice.token, 1 << 40, 413)] {
                let refused = try ContinueProbe(port: harness.app.localPort)
                try await refused.send(Array((
                    "PUT \(SyncPath.blob(vault, small.id)) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n"
                    + "Content-Length: \(length)\r\nExpect: 100-continue\r\n\r\n").utf8))
                #expect(try await refused.readHead().status == expected)
            }

            // Deleting the vault gives everything back.
            #expect(try await harness.usedBytes(alice) == 4_000)
            try await alice.client.deleteVault(vault)
            #expect(try await harness.usedBytes(alice) == 0)
            #expect(harness.blobFiles().isEmpty)
        }
    }

    @Test func missingQueryAndBatchUpload() async throws {
        try await SyncServerHarness.withServer { harness in
            let alice = try await harness.user("alice", quota: 1 << 20)
            let vault = SyncSamples.vaultID()
            _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
            // Sizes all different (0 to 1,999 bytes), so no two blobs share an id: with sizes drawn
            // from 0...2,000, two empty blobs (one id) came up about once in 200 runs.
            let blobs = (0..<200).map { index in SyncSamples.blob(index * 10 + Int.random(in: 0...9)) }
            try await alice.client.putBlob(vault, blobs[0].id, bytes: blobs[0].bytes)
            let missing = try await alice.client.missingBlobs(vault, blobs.map(\.id) + [blobs[5].id])
            #expect(missing == Array(blobs.dropFirst().map(\.id)))

            var batch = blobs.map { (id: $0.id, bytes: $0.bytes) }
            batch.append((id: blobs[1].id, bytes: blobs[1].bytes))  // repeated in the batch
            let bad = SyncSamples.blob(100)
            batch.append((id: bad.id, bytes: SyncSamples.blob(100).bytes))  // wrong bytes
            let result = try await alice.client.uploadBatch(vault, batch)
            #expect(result.results.count == 202)
            #expect(result.results[0].outcome == .alreadyStored)
            #expect(result.results[1..<200].allSatisfy { $0.outcome == .stored })
            #expect(result.results[200].outcome == .alreadyStored)
            #expect(result.results[201] == BlobBatchItem(id: bad.id, outcome: .hashMismatch))
            #expect(try await alice.client.missingBlobs(vault, blobs.map(\.id)).isEmpty)
            #expect(try await alice.client.blob(vault, blobs[77].id) == blobs[77].bytes)
            let total = blobs.reduce(Int64(0)) { $0 + Int64($1.bytes.count) }
            #expect(try await harness.usedBytes(alice) == total, "the reservation is settled to the new bytes")
            #expect(harness.temporaryFiles().isEmpty)
        }
    }

    @Test func malformedBatchesFailWhole() async throws {
        try await SyncServerHarness.withServer { harness in
            let alice = try await harness.user("alice", quota: 1 << 20)
            let vault = SyncSamples.vaultID()
            _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
            let raw = APITestClient(port: harness.app.localPort)
            let path = SyncPath.blobBatch(vault)
            let blob = SyncSamples.blob(50)
            let good = BlobBatchFraming.header(id: blob.id, length: 50) + blob.bytes
            // Cut inside a header, inside a blob; a length beyond the blob limit.
            for body in [good + [1, 2, 3], Array(good.dropLast(10)), BlobBatchFraming.header(id: blob.id, length: .max)] {
                let response = try await raw.send("POST", path, token: alice.token, body: body)
                #expect([400, 413].contains(response.status), "\(response.status) \(response.text)")
                #expect(["malformed_batch", "body_too_large", "blob_size_mismatch"].contains(response.errorCode ?? ""))
            }
            let empty = try await raw.send("POST", path, token: alice.token, body: [])
            #expect(empty.status == 200 && empty.text == #"{"results":[]}"#)
            #expect(harness.blobFiles().isEmpty && harness.temporaryFiles().isEmpty)
            #expect(try await harness.usedBytes(alice) == 0)
        }
    }
}
