import HTTPServer
import HTTPTypes
import Testing

@Suite("Server: requests and responses")
struct HTTPServerBasicTests {
    static func router() throws -> HTTPRouter {
        var router = HTTPRouter()
        try router.add(.get, "/hello/{name}") { request in
            .text("hello \(request.pathParameters["name"] ?? "?")")
        }
        try router.addInline(.get, "/healthz") { _ in .text("ok") }
        try router.add(.post, "/echo") { request in
            let body = try await request.body.collect(upTo: 1 << 20)
            return HTTPServerResponse(status: .ok, body: .bytes(body))
        }
        try router.add(.put, "/checksum") { request in
            var checksum = Checksum()
            for try await chunk in request.body { checksum.add(chunk) }
            return .text(checksum.text)
        }
        try router.add(.get, "/slow/{ms}") { request in
            let milliseconds = Int(request.pathParameters["ms"] ?? "0") ?? 0
            try await Task.sleep(for: .milliseconds(milliseconds))
            return .text("slept \(milliseconds)")
        }
        try router.add(.get, "/stream") { _ in
            HTTPServerResponse(status: .ok, body: .stream(length: nil) { writer in
                for index in 0..<5 { try await writer.write(Array("part\(index);".utf8)) }
            })
        }
        try router.add(.get, "/stream-sized") { _ in
            HTTPServerResponse(status: .ok, body: .stream(length: 6) { writer in
                try await writer.write(Array("abc".utf8))
                try await writer.write(Array("def".utf8))
            })
        }
        try router.add(.get, "/liar") { _ in
            var fields = HTTPFields()
            fields[.contentLength] = "999"
            fields[.transferEncoding] = "gzip"
            fields[.connection] = "close"
            fields[.date] = "yesterday"
            return HTTPServerResponse(status: .ok, headerFields: fields, body: .bytes(Array("four".utf8)))
        }
        try router.add(.get, "/teapot") { _ in throw Teapot() }
        try router.add(.get, "/crash") { _ in throw Secret(text: "user file name.txt") }
        return router
    }

    struct Teapot: HTTPResponseError {
        var status: HTTPResponse.Status { .init(code: 418) }
    }

    struct Secret: Error {
        var text: String
    }

    @Test func servesKeepAliveRequestsOnOneConnection() async throws {
        try await withTestServer(router: Self.router()) { server, port in
            let (first, second, health) = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET /hello/w%C3%B6rld HTTP/1.1\r\nHost: x\r\n\r\n")
                let first = try client.readResponse()
                try client.send("GET /hello/again HTTP/1.1\r\nHost: x\r\n\r\n")
                let second = try client.readResponse()
                try client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                return (first, second, try client.readResponse())
            }
            #expect(first.status == 200)
            #expect(first.text == "hello wörld")
            #expect(first.header("Date")?.hasSuffix("GMT") == true)
            #expect(first.header("Connection") == nil)
            #expect(second.text == "hello again")
            #expect(health.text == "ok")
            let snapshot = server.metrics.snapshot()
            #expect(snapshot.requests["GET"]?["2xx"] == 3)
            #expect(snapshot.bytesSent > 0)
        }
    }

    @Test func answersPipelinedRequestsInOrder() async throws {
        try await withTestServer(router: Self.router()) { _, port in
            let responses = try await blocking {
                let client = try TestClient(port: port)
                try client.send(
                    "GET /slow/60 HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nping"
                        + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /slow/0 HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
                        + "GET /hello/last HTTP/1.1\r\nHost: x\r\n\r\n")
                return try (0..<6).map { _ in try client.readResponse() }
            }
            #expect(responses.map(\.text) == ["slept 60", "ping", "ok", "slept 0", "ok", "hello last"])
        }
    }

    /// A large Content-Length body is read straight into the handler's chunks; those reads
    /// must stop exactly at the body's end, so the request pipelined right behind it (in the
    /// same segments) is still parsed as a request.
    @Test func largeBodiesArriveWholeAndPipelinedRequestsAfterThemStillCount() async throws {
        let body = (0..<(3 << 20) + 123).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        var expected = Checksum()
        expected.add(body)
        try await withTestServer(router: Self.router()) { _, port in
            let responses = try await blocking {
                let client = try TestClient(port: port)
                let head = Array("PUT /checksum HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
                let next = Array("GET /hello/after HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
                try client.send(head + body[..<1000])
                try client.send(Array(body[1000...]) + next)
                return try (0..<2).map { _ in try client.readResponse() }
            }
            #expect(responses.map(\.status) == [200, 200])
            #expect(responses.map(\.text) == [expected.text, "hello after"])
        }
    }

    /// Byte count and FNV-1a of a body, as text.
    struct Checksum {
        var count = 0
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325

        mutating func add(_ bytes: [UInt8]) {
            count += bytes.count
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }

        var text: String { "\(count) \(String(hash, radix: 16))" }
    }

    @Test func ownsFramingFieldsAndHonoursHandlerClose() async throws {
        try await withTestServer(router: Self.router()) { _, port in
            let (response, closed) = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET /liar HTTP/1.1\r\nHost: x\r\n\r\n")
                return (try client.readResponse(), try client.isClosedByServer())
            }
            #expect(response.text == "four")
            #expect(response.header("Content-Length") == "4")
            #expect(response.header("Transfer-Encoding") == nil)
            #expect(response.header("Date") != "yesterday")
            #expect(response.headers.filter { $0.name.lowercased() == "content-length" }.count == 1)
            #expect(response.header("Connection") == "close")
            #expect(closed)
        }
    }

    @Test func closesAfterMaxRequestsPerConnection() async throws {
        try await withTestServer(router: Self.router(), configure: { $0.limits.maxRequestsPerConnection = 2 }) { _, port in
            let (first, second, closed) = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                return (try client.readResponse(), try client.readResponse(), try client.isClosedByServer())
            }
            #expect(first.header("Connection") == nil)
            #expect(second.header("Connection") == "close")
            #expect(closed)
        }
    }

    @Test func honoursConnectionCloseAndHTTP10() async throws {
        try await withTestServer(router: Self.router()) { _, port in
            let (closed, wasClosed) = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return (try client.readResponse(), try client.isClosedByServer())
            }
            #expect(closed.header("Connection") == "close")
            #expect(wasClosed)
            let (old, oldClosed) = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET /healthz HTTP/1.0\r\n\r\n")
                return (try client.readResponse(), try client.isClosedByServer())
            }
            #expect(old.text == "ok")
            #expect(oldClosed)
            let (kept, streamed) = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let kept = try client.readResponse()
                // No length known and an HTTP/1.0 client: the body ends with the connection.
                try client.send("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                return (kept, try client.readResponse())
            }
            #expect(kept.header("Connection") == "keep-alive")
            #expect(streamed.text == "part0;part1;part2;part3;part4;")
            #expect(streamed.header("Transfer-Encoding") == nil)
            #expect(streamed.header("Connection") == "close")
        }
    }

    @Test func streamsResponses() async throws {
        try await withTestServer(router: Self.router()) { _, port in
            let chunked = try await exchange(port, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(chunked.header("Transfer-Encoding") == "chunked")
            #expect(chunked.text == "part0;part1;part2;part3;part4;")
            let sized = try await exchange(port, "GET /stream-sized HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(sized.header("Content-Length") == "6")
            #expect(sized.text == "abcdef")
        }
    }

    @Test func answersHeadWithoutBody() async throws {
        try await withTestServer(router: Self.router()) { _, port in
            let responses = try await blocking {
                let client = try TestClient(port: port)
                try client.send("HEAD /hello/x HTTP/1.1\r\nHost: x\r\n\r\n")
                let head = try client.readResponse(head: true)
                // The next response must start right after the head: no body bytes in between.
                try client.send("HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                return [head, try client.readResponse(head: true), try client.readResponse()]
            }
            #expect(responses[0].status == 200)
            #expect(responses[0].header("Content-Length") == "7")
            #expect(responses[0].body.isEmpty)
            #expect(responses[1].header("Transfer-Encoding") == "chunked")
            #expect(responses[2].text == "ok")
        }
    }

    @Test func mapsHandlerErrors() async throws {
        try await withTestServer(router: Self.router()) { _, port in
            let teapot = try await exchange(port, "GET /teapot HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(teapot.status == 418)
            let crash = try await exchange(port, "GET /crash HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(crash.status == 500)
            #expect(!crash.text.contains("name.txt"))
            let missing = try await exchange(port, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(missing.status == 404)
            let wrongMethod = try await exchange(port, "DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("Allow") == "GET, HEAD")
        }
    }

    @Test func echoesChunkedRequestBodies() async throws {
        try await withTestServer(router: Self.router()) { _, port in
            let response = try await exchange(
                port, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == "abcde")
        }
    }
}
