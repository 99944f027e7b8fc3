@testable import CoffreServer
import CoffreProtocol
import Foundation
import Glibc
import Testing

/// A blob file not in the page cache (written with O_DIRECT, or evicted) is never sent from the
/// event loop's fast lane, where sendfile(2) would read the disk on the loop thread: the route
/// reads it in on the blocking-work queue first (`PageCacheLoader`), then answers; once cached,
/// the fast lane takes it again. A HEAD reads nothing. Residency is read with mincore(2).
@Suite struct BlobColdFileTests {
    /// The blob's file in the harness's data directory (docs/storage-blobs.md, "Disk layout").
    private func blobFile(_ harness: SyncServerHarness, _ vault: VaultID, _ id: BlobID) -> String {
        let hex = id.hex
        return "\(harness.directory)/blobs/\(vault.hex)/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))/\(hex)"
    }

    /// Drops the file's pages from the page cache; returns how many stayed (mincore(2)). Pages
    /// a just-sent response still references (sendfile(2) lends them to the socket) are
    /// dropped by a later try.
    @discardableResult
    private func evict(_ path: String) throws -> Int {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        fsync(descriptor)
        for _ in 0..<300 {
            posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED)
            if try residentPages(path) == 0 { return 0 }
            usleep(10_000)
        }
        return try residentPages(path)
    }

    private func residentPages(_ path: String) throws -> Int {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var status = stat()
        try #require(fstat(descriptor, &status) == 0)
        let size = Int(status.st_size)
        guard let mapping = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0), mapping != MAP_FAILED else {
            Issue.record("mmap failed")
            return -1
        }
        defer { munmap(mapping, size) }
        var vector = [UInt8](repeating: 0, count: (size + 4_095) / 4_096)
        try #require(mincore(mapping, size, &vector) == 0)
        return vector.reduce(0) { $0 + Int($1 & 1) }
    }

    @Test func aColdBlobIsLoadedOffTheLoopThenServedByTheFastLane() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            // Blobs over 1 MiB are written with O_DIRECT; each is evicted before it is first sent
            // (a page a response has just sent may stay referenced for a while, so nothing sent
            // is evicted again).
            let blob = SyncSamples.blob((2 << 20) + 777)
            let ranged = SyncSamples.blob((2 << 20) + 1_999)
            let small = SyncSamples.blob(SmallBlobCache.maxBlobBytes * 2)
            for sample in [blob, ranged, small] { try await alice.client.putBlob(vault, sample.id, bytes: sample.bytes) }
            let raw = APITestClient(port: harness.app.localPort)
            // Token and membership cached by a warm blob's GETs: the second takes the fast lane.
            for _ in 0..<2 { #expect(try await raw.send("GET", SyncPath.blob(vault, small.id), token: alice.token).body == small.bytes) }
            let warm = try await raw.fastLaneAnswers()
            #expect(warm >= 1)
            let path = SyncPath.blob(vault, blob.id)
            let file = blobFile(harness, vault, blob.id)
            let stayed = try evict(file)
            try #require(stayed == 0, "\(stayed) pages stayed: this file system keeps evicted pages (tmpfs?)")

            let head = try await raw.send("HEAD", path, token: alice.token)
            #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == "\(blob.bytes.count)")
            #expect(try residentPages(file) == 0, "a HEAD reads none of the blob")
            #expect(try await raw.fastLaneAnswers() == warm + 1, "a HEAD of a cold blob stays on the fast lane")

            let cold = try await raw.send("GET", path, token: alice.token)
            #expect(cold.status == 200 && cold.body == blob.bytes)
            #expect(try await raw.fastLaneAnswers() == warm + 1, "a cold blob goes to the route")
            #expect(try residentPages(file) == (blob.bytes.count + 4_095) / 4_096)
            #expect(try await raw.send("GET", path, token: alice.token).body == blob.bytes)
            #expect(try await raw.fastLaneAnswers() == warm + 2, "loaded, it is the fast lane's again")

            // A Range of a cold blob: the route loads that range and answers 206.
            let rangedFile = blobFile(harness, vault, ranged.id)
            try #require(try evict(rangedFile) == 0)
            let part = try await raw.send(
                "GET", SyncPath.blob(vault, ranged.id), token: alice.token, headers: ["Range": "bytes=1000000-1000099"])
            #expect(part.status == 206 && part.body == Array(ranged.bytes[1_000_000...1_000_099]))
            #expect(try await raw.fastLaneAnswers() == warm + 2)
        }
    }

    /// Another user's GET of a cold blob is refused before anything is read.
    @Test func aStrangerGetsNothingReadFromDisk() async throws {
        try await SyncServerHarness.withVault { harness, alice, vault in
            let blob = SyncSamples.blob(1 << 20)
            try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes)
            let mallory = try await harness.user("mallory")
            let file = blobFile(harness, vault, blob.id)
            try #require(try evict(file) == 0, "this file system keeps evicted pages (tmpfs?)")
            let raw = APITestClient(port: harness.app.localPort)
            for _ in 0..<2 {
                let refused = try await raw.send("GET", SyncPath.blob(vault, blob.id), token: mallory.token)
                #expect(refused.status == 404 && refused.body != blob.bytes)
            }
            #expect(try residentPages(file) == 0)
        }
    }
}
