import Glibc
import HTTPServer
import HTTPTypes
import Testing

@Suite("Server: hostile and malformed input")
struct HTTPServerHostileInputTests {
    static func router() throws -> HTTPRouter {
        var router = HTTPRouter()
        try router.addInline(.get, "/ok") { _ in .text("ok") }
        try router.add(.put, "/small", maxBodyBytes: 10) { request in
            let body = try await request.body.collect(upTo: 10)
            return .text("\(body.count)")
        }
        try router.add(.put, "/stream-small", maxBodyBytes: 10) { request in
            var total = 0
            for try await chunk in request.body { total += chunk.count }
            return .text("\(total)")
        }
        return router
    }

    static func configure(_ configuration: inout HTTPServerConfiguration) {
        configuration.limits.maxRequestHeadBytes = 2048
        configuration.limits.maxURILength = 512
        configuration.limits.maxHeaderCount = 10
    }

    static let cases: [(request: String, status: Int)] = [
        ("GET /ok HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400),
        ("GET /ok HTTP/1.1\r\nHost: x\r\nX: 1\r\n folded\r\n\r\n", 400),
        ("GET /ok HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400),
        ("GET /ok HTTP/1.1\r\n\r\n", 400),
        ("GET /ok HTTP/3.0\r\nHost: x\r\n\r\n", 505),
        ("GET /ok  HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("\u{1}\u{2}\u{3} garbage\r\n\r\n", 400),
        ("GET /" + String(repeating: "u", count: 600) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("GET /ok HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "h", count: 3000) + "\r\n\r\n", 431),
        ("GET /ok HTTP/1.1\r\nHost: x\r\n" + String(repeating: "A: b\r\n", count: 11) + "\r\n", 431),
        ("PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n", 400),
        ("PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcd", 400),
        ("PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: -4\r\n\r\n", 400),
        ("PUT /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        ("PUT /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n01234567890", 413),
        ("PUT /stream-small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nc\r\n0123456789ab\r\n0\r\n\r\n", 413),
        ("PUT /stream-small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("PUT /stream-small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n", 400),
        ("PUT /stream-small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX", 400),
        ("GET /ok HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n", 417),
    ]

    @Test(arguments: 0..<cases.count)
    func refusesAndClosesThenServesOthers(_ index: Int) async throws {
        let (request, status) = Self.cases[index]
        try await withTestServer(router: Self.router(), configure: Self.configure) { _, port in
            let (response, closed) = try await blocking {
                let client = try TestClient(port: port)
                try client.send(request)
                let response = try client.readResponse()
                return (response, try client.isClosedByServer())
            }
            #expect(response.status == status)
            #expect(response.header("Connection") == "close")
            #expect(closed)
            let next = try await exchange(port, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(next.text == "ok")
        }
    }

    @Test func headerByteADripIsCutOffWith408() async throws {
        try await withTestServer(router: Self.router(), configure: { $0.limits.headerReadTimeout = .milliseconds(300) }) { _, port in
            let status = try await blocking { () -> Int? in
                let client = try TestClient(port: port)
                try client.send("GET /ok HTTP/1.1\r\nHost: x\r\nX-Padding: ")
                // The head never completes: only the header-read timeout can answer it.
                for sent in 1...1000 {
                    guard (try? client.send("p")) != nil else { break }
                    usleep(20_000)
                    if sent % 5 == 0, let response = try? client.readResponseIfReady() { return response.status }
                }
                return try? client.readResponse().status
            }
            #expect(status == 408)
            let next = try await exchange(port, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(next.text == "ok")
        }
    }

    @Test func idleKeepAliveConnectionsAreClosed() async throws {
        try await withTestServer(router: Self.router(), configure: { $0.limits.keepAliveIdleTimeout = .milliseconds(200) }) { _, port in
            let closed = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
                _ = try client.readResponse()
                return try client.isClosedByServer()
            }
            #expect(closed)
        }
    }

    @Test func refusesConnectionsBeyondTheLimit() async throws {
        try await withTestServer(router: Self.router(), configure: { $0.limits.maxConnections = 2 }) { server, port in
            let outcome = try await blocking { () -> (Bool, Bool) in
                let first = try TestClient(port: port)
                let second = try TestClient(port: port)
                for client in [first, second] {
                    try client.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
                    _ = try client.readResponse()
                }
                let third = try TestClient(port: port)
                try? third.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
                let thirdClosed = try third.isClosedByServer()
                // Once a slot frees up, new connections are served again.
                first.shutdownWrite()
                _ = try first.readToEnd()
                var servedLater = false
                for _ in 0..<50 where !servedLater {
                    let fourth = try TestClient(port: port)
                    try? fourth.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
                    servedLater = (try? fourth.readResponse().status) == 200
                    if !servedLater { usleep(20_000) }
                }
                return (thirdClosed, servedLater)
            }
            #expect(outcome.0)
            #expect(outcome.1)
            #expect(server.metrics.snapshot().connectionsRejected >= 1)
        }
    }
}

extension TestClient {
    /// A response if one can be read without waiting long, else nil.
    func readResponseIfReady() throws -> Response? {
        var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard Glibc.poll(&poll, 1, 0) > 0 else { return nil }
        return try readResponse()
    }
}
