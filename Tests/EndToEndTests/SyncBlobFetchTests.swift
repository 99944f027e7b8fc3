import Foundation
import Testing

/// Issue 6: a device receiving many small files fetches their blobs together
/// (`POST …/blob-fetch`), not with one GET each, and gets every byte right.
@Suite("small files arrive in blob fetches (real binaries)")
struct SyncBlobFetchTests {
    @Test func manySmallFilesCostFewRequests() async throws {
        let f = try await SyncCommandsTests.twoDevices()
        let files = 300
        for index in 0..<files {
            try f.write("small file \(index) " + String(repeating: "x", count: index * 13), at: "d\(index % 7)/f\(index).txt", in: "a")
        }
        let sent = try await f.syncOnce("laptop", "a", vault: "Documents")
        try #require(sent.status == 0, "\(sent)")

        let port = f.setting.server.port
        let before = try await Self.requests(port: port)
        let received = try await f.syncOnce("phone", "b", vault: "Documents")
        #expect(received.status == 0, "\(received)")
        let after = try await Self.requests(port: port)
        #expect(try f.tree("b") == f.tree("a"))
        // One GET per file before; now a handful for the vault, its keys and the feed, and a
        // few blob fetches (POST) for all 300 blobs.
        #expect(after.get - before.get < 30, "GETs: \(after.get - before.get)")
        #expect(after.post - before.post < 30, "POSTs: \(after.post - before.post)")
    }

    /// coffred's successful GET and POST requests so far (`/metrics`).
    private static func requests(port: Int) async throws -> (get: Int, post: Int) {
        let metrics = try await RawHTTP.get(port: port, path: "/metrics")
        try #require(metrics.status == 200)
        func count(_ method: String) -> Int {
            let prefix = "coffred_requests_total{method=\"\(method)\",status=\"2xx\"} "
            let line = metrics.body.split(separator: "\n").first { $0.hasPrefix(prefix) }
            return line.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
        }
        return (count("GET"), count("POST"))
    }
}
