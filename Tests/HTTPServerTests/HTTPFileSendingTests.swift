import Foundation
import Glibc
@testable import HTTPServer
import HTTPTypes
import Testing

/// How file bodies leave on a plain socket: the head with MSG_MORE, then sendfile(2) calls of
/// up to `HTTPConnection.sendfileCallLimit` bytes, waiting for EPOLLOUT whenever the socket is
/// full; and how a region borrowing its descriptor (`keptOpenBy:`) holds and lets go its owner.
@Suite("Server: sending file bodies")
struct HTTPFileSendingTests {
    /// A file of `count` bytes with a pattern that shifts every 251 bytes, and its folder.
    static func makeFile(count: Int) throws -> (path: String, bytes: [UInt8]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("http-send-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 251) }
        let url = directory.appendingPathComponent("large.bin")
        try Data(bytes).write(to: url)
        return (url.path, bytes)
    }

    static func router(serving path: String) throws -> HTTPRouter {
        var router = HTTPRouter()
        try router.add(.get, "/file") { request in
            try HTTPFileResponse.make(for: request, path: path, contentType: "application/octet-stream", etag: HTTPEntityTag("v1"))
        }
        try router.add(.get, "/small") { _ in HTTPServerResponse(status: .ok, body: .bytes(Array("after".utf8))) }
        return router
    }

    /// A file longer than one sendfile(2) call, read slowly through a small receive buffer so
    /// the socket fills and the rest waits for EPOLLOUT, then a Range from its tail and the next
    /// request on the same connection: every byte once, in order, framing intact.
    @Test func aFileLongerThanOneCallArrivesWholeToASlowReader() async throws {
        let size = Int(HTTPConnection.sendfileCallLimit) + 123_457
        let (path, bytes) = try Self.makeFile(count: size)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        try await withTestServer(router: try Self.router(serving: path)) { _, port in
            let responses = try await blocking {
                let client = try TestClient(port: port)
                var small: Int32 = 16 * 1024
                setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
                try client.send("GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
                // Let the server fill the socket before anything is read.
                usleep(50_000)
                let whole = try client.readResponse()
                try client.send(
                    "GET /file HTTP/1.1\r\nHost: x\r\nRange: bytes=\(size - 70_000)-\r\n\r\nGET /small HTTP/1.1\r\nHost: x\r\n\r\n")
                return [whole, try client.readResponse(), try client.readResponse()]
            }
            #expect(responses[0].status == 200 && responses[0].header("Content-Length") == "\(size)")
            #expect(responses[0].body == bytes)
            #expect(responses[1].status == 206 && responses[1].body == Array(bytes[(size - 70_000)...]))
            #expect(responses[2].status == 200 && responses[2].text == "after")
        }
    }

    /// A client that reads the head and part of a large body and then resets the connection:
    /// the server drops the response, closes the file, and goes on serving others.
    @Test func aClientLeavingMidBodyDoesNotStopTheServer() async throws {
        let (path, bytes) = try Self.makeFile(count: 3 << 20)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        try await withTestServer(router: try Self.router(serving: path)) { _, port in
            try await blocking {
                for _ in 0..<3 {
                    let leaving = try TestClient(port: port)
                    try leaving.send("GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
                    var some = [UInt8](repeating: 0, count: 100_000)
                    _ = Glibc.recv(leaving.fd, &some, some.count, Int32(MSG_WAITALL))
                    // SO_LINGER 0: close sends a reset, so the server's next sendfile fails.
                    var reset = Glibc.linger(l_onoff: 1, l_linger: 0)
                    setsockopt(leaving.fd, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<Glibc.linger>.size))
                }
            }
            let after = try await exchange(port, "GET /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(after.status == 200 && after.body == bytes)
        }
    }

    /// A file that ends before the length it was opened with (it shrank): the connection
    /// closes short of Content-Length instead of sending other bytes or hanging.
    @Test func aFileThatShrankEndsTheConnectionShort() async throws {
        let (path, _) = try Self.makeFile(count: 1 << 20)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        var router = HTTPRouter()
        try router.add(.get, "/file") { _ in
            let (region, _) = try HTTPFileRegion.open(path: path)
            // Cut the file after it was opened and sized: 1 MiB announced, 1,000 bytes there.
            guard truncate(path, 1_000) == 0 else { throw HTTPServerError.invalidState("truncate failed") }
            return HTTPServerResponse(status: .ok, body: .file(region))
        }
        try await withTestServer(router: router) { _, port in
            let received = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
                return try client.readToEnd()
            }
            let text = String(decoding: received.prefix(200), as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 200") && text.contains("Content-Length: 1048576"))
            let headEnd = try #require(received.firstRange(of: Array("\r\n\r\n".utf8)))
            #expect(received.count - headEnd.upperBound == 1_000, "the bytes that were there, then the close")
        }
    }

    /// Owns a descriptor and closes it at deinit, as a blob reader does.
    final class DescriptorOwner: Sendable {
        let descriptor: Int32

        init(descriptor: Int32) {
            self.descriptor = descriptor
        }

        deinit { Glibc.close(descriptor) }
    }

    /// A borrowed descriptor stays open while the region lives, is never closed by the region,
    /// and its owner is let go at `close()` (once, whoever calls it); `narrowed(to:)` hands the
    /// owner to the narrower region.
    @Test func aRegionHoldsItsOwnerUntilClosed() throws {
        let (path, _) = try Self.makeFile(count: 4_096)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        try #require(descriptor >= 0)
        weak var watched: DescriptorOwner?
        var region: HTTPFileRegion?
        do {
            let owner = DescriptorOwner(descriptor: descriptor)
            watched = owner
            region = HTTPFileRegion(descriptor: descriptor, offset: 0, length: 4_096, keptOpenBy: owner)
        }
        #expect(watched != nil, "the region keeps its owner")
        let narrow = try #require(region).narrowed(to: 10...19)
        region?.close()
        region = nil
        #expect(watched != nil, "the narrowed region took the owner over")
        #expect(narrow.offset == 10 && narrow.length == 10)
        var byte: UInt8 = 0
        #expect(pread(narrow.descriptor, &byte, 1, 10) == 1, "the descriptor is still open")
        narrow.close()
        #expect(watched == nil, "closing let the owner go, which closed the descriptor")
        narrow.close()
    }
}
