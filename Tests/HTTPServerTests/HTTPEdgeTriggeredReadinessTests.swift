import Foundation
import Glibc
import HTTPTypes
import Synchronization
import Testing

@testable import HTTPServer

/// Each connection is registered once with epoll, edge-triggered for both directions
/// (`EventLoop.register`): readiness is reported once when it arrives, so every path that used
/// to rely on level-triggered reports must read or write until EAGAIN or remember what it left.
/// These tests drive each such path: slow readers, pipelining in one packet and across packets,
/// a body read in pauses, the per-event read cap, half-closed and reset peers, TLS, idle
/// connections.
@Suite("Server: edge-triggered readiness")
struct HTTPEdgeTriggeredReadinessTests {
    /// A deterministic pattern of `count` bytes.
    static func pattern(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 509) &+ seed }
    }

    static func router(waiting gate: Flag<Bool>? = nil) throws -> HTTPRouter {
        var router = HTTPRouter()
        try router.addInline(.get, "/inline") { _ in .text("inline") }
        try router.add(.get, "/task") { _ in .text("task") }
        try router.add(.get, "/stream/{count}") { request in
            let count = Int(request.pathParameters["count"] ?? "") ?? 0
            let bytes = Self.pattern(count, seed: 5)
            return HTTPServerResponse(status: .ok, body: .stream(length: nil) { writer in
                var start = 0
                while start < bytes.count {
                    let end = min(start + 40_000, bytes.count)
                    try await writer.write(Array(bytes[start..<end]))
                    start = end
                }
            })
        }
        try router.add(.put, "/count", maxBodyBytes: 64 << 20) { request in
            // Slow on purpose: the loop must pause reading (back-pressure) and resume.
            var total = 0
            var checksum: UInt64 = 0
            for try await chunk in request.body {
                total += chunk.count
                for byte in chunk { checksum = checksum &* 31 &+ UInt64(byte) }
                try await Task.sleep(for: .microseconds(200))
            }
            return .text("\(total) \(checksum)")
        }
        try router.add(.get, "/wait") { _ in
            _ = try await gate?.wait()
            return .text("waited")
        }
        return router
    }

    /// `head` followed by `body` in chunks of 200,000 bytes and the last chunk (RFC 9112 §7.1).
    static func chunked(_ body: [UInt8], head: String) -> [UInt8] {
        var framed = Array(head.utf8)
        var start = 0
        while start < body.count {
            let end = min(start + 200_000, body.count)
            framed += Array("\(String(end - start, radix: 16))\r\n".utf8) + body[start..<end] + Array("\r\n".utf8)
            start = end
        }
        return framed + Array("0\r\n\r\n".utf8)
    }

    static func checksum(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(0) { $0 &* 31 &+ UInt64($1) }
    }

    /// A streamed body of over 1 MiB to a client with a small receive buffer that reads
    /// late: the writer suspends, the loop waits for EPOLLOUT after EAGAIN, and every byte
    /// arrives in order; the next request on the connection is answered after it.
    @Test func aSlowReaderGetsAStreamedBodyWhole() async throws {
        let size = (1 << 20) + 17
        try await withTestServer(router: try Self.router()) { _, port in
            let responses = try await blocking {
                let client = try TestClient(port: port)
                var small: Int32 = 16 * 1024
                setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
                try client.send("GET /stream/\(size) HTTP/1.1\r\nHost: x\r\n\r\n")
                usleep(50_000)
                let streamed = try client.readResponse()
                try client.send("GET /inline HTTP/1.1\r\nHost: x\r\n\r\n")
                return [streamed, try client.readResponse()]
            }
            #expect(responses[0].status == 200 && responses[0].header("Transfer-Encoding") == "chunked")
            #expect(responses[0].body == Self.pattern(size, seed: 5))
            #expect(responses[1].text == "inline")
        }
    }

    /// Requests for an inline route, a task route and a streamed body, all in one packet, and
    /// then split across packets in the middle of a head: answered once each, in order.
    @Test func pipelinedRequestsInOnePacketAndAcrossPackets() async throws {
        try await withTestServer(router: try Self.router()) { _, port in
            let (together, split) = try await blocking {
                let client = try TestClient(port: port)
                try client.send(
                    "GET /task HTTP/1.1\r\nHost: x\r\n\r\nGET /inline HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "GET /stream/100000 HTTP/1.1\r\nHost: x\r\n\r\nGET /task HTTP/1.1\r\nHost: x\r\n\r\n")
                let together = try (0..<4).map { _ in try client.readResponse() }
                try client.send("GET /inline HTTP/1.1\r\nHost: x\r\n\r\nGET /ta")
                usleep(30_000)
                try client.send("sk HTTP/1.1\r\nHo")
                usleep(30_000)
                try client.send("st: x\r\n\r\nGET /inline HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                let split = try (0..<3).map { _ in try client.readResponse() }
                return (together, (split, try client.isClosedByServer()))
            }
            #expect(together.map(\.status) == [200, 200, 200, 200])
            #expect(together[0].text == "task" && together[1].text == "inline" && together[3].text == "task")
            #expect(together[2].body == Self.pattern(100_000, seed: 5))
            #expect(split.0.map(\.text) == ["inline", "task", "inline"])
            #expect(split.1, "closed after the response that asked for it")
        }
    }

    /// A Content-Length body far above the back-pressure mark, sent at once by the client
    /// with a pipelined request behind it: the loop pauses reading while the slow handler
    /// catches up, resumes on its demand (bytes the socket reported only once), and then
    /// answers the pipelined request.
    @Test func aBodyReadInPausesThenAPipelinedRequest() async throws {
        let body = Self.pattern(3 << 20, seed: 1)
        try await withTestServer(router: try Self.router(), configure: { $0.limits.requestBodyBufferBytes = 32 * 1024 }) { server, port in
            let responses = try await blocking {
                let client = try TestClient(port: port)
                try client.send(Array("PUT /count HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
                    + Array("GET /inline HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                return [try client.readResponse(), try client.readResponse()]
            }
            #expect(responses[0].text == "\(body.count) \(Self.checksum(body))")
            #expect(responses[1].text == "inline")
            #expect(server.metrics.requestBodyReadPauses.load(ordering: .relaxed) > 0, "reading paused at least once")
        }
    }

    /// A chunked body several times the per-event read cap (`readsPerEvent` reads of the
    /// loop's 64 KiB buffer) with a high-water mark that never pauses it: the loop yields
    /// after the cap and comes back by itself (no new EPOLLIN would come), so the body ends.
    @Test func aBodyLongerThanTheReadCapIsReadOnWithoutNewEvents() async throws {
        let body = Self.pattern(6 << 20, seed: 2)
        let framed = Self.chunked(body, head: "PUT /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        var router = HTTPRouter()
        try router.add(.put, "/count", maxBodyBytes: 64 << 20) { request in
            let all = try await request.body.collect(upTo: 64 << 20)
            return .text("\(all.count) \(Self.checksum(all))")
        }
        try await withTestServer(router: router, configure: { $0.limits.requestBodyBufferBytes = 32 << 20 }) { _, port in
            let response = try await blocking {
                let client = try TestClient(port: port)
                var large: Int32 = 8 << 20
                setsockopt(client.fd, SOL_SOCKET, SO_SNDBUF, &large, socklen_t(MemoryLayout<Int32>.size))
                try client.send(framed)
                return try client.readResponse()
            }
            #expect(response.text == "\(body.count) \(Self.checksum(body))")
        }
    }

    /// A client that sends its request and shuts its sending side (as `nc -N` does) still gets
    /// the whole response, a large file included, and then the server closes: EOF arrives
    /// with the request or while the handler runs, reported once.
    @Test func aHalfClosedPeerGetsItsResponseThenTheClose() async throws {
        let (path, bytes) = try HTTPFileSendingTests.makeFile(count: 2 << 20)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        var router = try HTTPFileSendingTests.router(serving: path)
        try router.add(.get, "/slow") { _ in
            try await Task.sleep(for: .milliseconds(50))
            return .text("slow")
        }
        try await withTestServer(router: router) { server, port in
            for target in ["/file", "/slow", "/small"] {
                let (response, closed) = try await blocking {
                    let client = try TestClient(port: port)
                    try client.send("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n")
                    client.shutdownWrite()
                    return (try client.readResponse(), try client.isClosedByServer())
                }
                #expect(response.status == 200, "\(target)")
                #expect(closed, "\(target): the server closes once the response is out")
                if target == "/file" { #expect(response.body == bytes) }
                if target == "/slow" { #expect(response.text == "slow") }
            }
            #expect(try await Self.openConnections(of: server, reach: 0))
        }
    }

    /// A peer that resets its connection while its handler waits (a long poll): the reset is
    /// reported once, with EPOLLIN, to a connection that wants no input; the server closes it
    /// at once instead of holding it until the handler answers.
    @Test func aPeerResettingDuringAWaitingHandlerIsClosedAtOnce() async throws {
        let gate = Flag<Bool>()
        try await withTestServer(router: try Self.router(waiting: gate)) { server, port in
            try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
                usleep(50_000)
                // SO_LINGER 0: close sends a reset.
                var reset = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<Glibc.linger>.size))
            }
            let closedWhileWaiting = try await Self.openConnections(of: server, reach: 0)
            gate.set(true)
            #expect(closedWhileWaiting, "closed while the handler still waited")
            let after = try await exchange(port, "GET /inline HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(after.text == "inline")
        }
    }

    /// Over TLS (no sendfile: pread and SSL_write), a file of several MiB and a streamed body
    /// on one keep-alive connection, then a small answer: OpenSSL's buffered bytes and its
    /// want-read/want-write results under edge-triggered readiness.
    @Test func tlsLargeResponsesOnOneConnection() async throws {
        let (path, bytes) = try HTTPFileSendingTests.makeFile(count: (3 << 20) + 333)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        var router = try Self.router()
        try router.add(.get, "/file") { request in
            try HTTPFileResponse.make(for: request, path: path, contentType: "application/octet-stream", etag: HTTPEntityTag("v1"))
        }
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let context = try identity.serverContext()
        let pin = identity.generated.fingerprintSHA256
        try await withTestServer(router: router, configure: { $0.transportFactory = TLSTransport.serverFactory(context: context) }) { server, port in
            try await withHTTPClient({ $0.tlsTrust = .pinnedCertificate(sha256: pin) }) { (client) async throws in
                let base = "https://127.0.0.1:\(port)"
                for _ in 0..<2 {
                    let file = try await client.fetch(.get, base + "/file")
                    #expect(file.status == 200 && file.body == bytes)
                    let streamed = try await client.fetch(.get, base + "/stream/\(2 << 20)")
                    #expect(streamed.body == Self.pattern(2 << 20, seed: 5))
                }
                #expect(try await client.fetch(.get, base + "/inline").body == Array("inline".utf8))
                #expect(server.metrics.snapshot().connectionsAccepted == 1, "one keep-alive connection")
            }
        }
    }

    /// Many idle keep-alive connections cost no events: each is answered when it finally
    /// speaks, and with a short idle timeout they are all closed by the timer.
    @Test func manyIdleConnectionsAreServedAndThenTimedOut() async throws {
        try await withTestServer(router: try Self.router(), configure: { $0.limits.keepAliveIdleTimeout = .seconds(3) }) { server, port in
            let (texts, closed) = try await blocking {
                let clients = try (0..<200).map { _ in try TestClient(port: port) }
                usleep(100_000)
                for client in clients { try client.send("GET /inline HTTP/1.1\r\nHost: x\r\n\r\n") }
                let texts = try clients.map { try $0.readResponse().text }
                let closed = try clients.map { try $0.isClosedByServer() }
                return (texts, closed)
            }
            #expect(texts == Array(repeating: "inline", count: 200))
            #expect(closed.allSatisfy { $0 }, "every idle connection closed by the idle timeout")
            #expect(try await Self.openConnections(of: server, reach: 0))
        }
    }

    /// Polls the server's open-connection count until it is `target` (up to about 10 s).
    static func openConnections(of server: HTTPServer, reach target: Int) async throws -> Bool {
        for _ in 0..<1000 {
            if server.metrics.snapshot().connectionsOpen == target { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}
