import Glibc
import HTTPServer
import HTTPTypes
import Synchronization
import Testing

/// The lean fast lane (`HTTPFastLane`): a plain GET/HEAD is answered from the read buffer, and
/// every request — plain, pipelined, hostile — gets byte for byte (Date aside) what the full
/// parser and the router give it (RFC 9112 §2–§9).
@Suite("Lean fast lane")
struct HTTPLeanFastLaneTests {
    /// Answers `GET|HEAD /blob` with `Authorization: Bearer ok` from a prepared response.
    private struct BlobLane: HTTPFastLane {
        let prepared = HTTPPreparedResponse(status: .ok, headerFields: HTTPLeanFastLaneTests.fields, body: HTTPLeanFastLaneTests.body)
        var routePattern: String { "/blob" }

        func response(for request: HTTPFastLaneRequest) -> HTTPPreparedResponse? {
            guard request.path.elementsEqual("/blob".utf8), let authorization = request.authorization,
                authorization.elementsEqual("Bearer ok".utf8)
            else { return nil }
            return prepared
        }
    }

    static let body = Array("hello, blob".utf8)
    static var fields: HTTPFields {
        var fields = HTTPFields()
        fields[.eTag] = "\"abc\""
        fields[.contentType] = "application/octet-stream"
        fields[.cacheControl] = "private"
        return fields
    }

    /// The same answers through the router: `/blob` as the lane gives it, `/other` a 200 text.
    private static func router(fastLane: Bool) throws -> HTTPRouter {
        var router = HTTPRouter()
        try router.add(.get, "/blob") { _ in HTTPServerResponse(status: .ok, headerFields: fields, body: .bytes(body)) }
        try router.add(.get, "/other") { _ in .text("other") }
        if fastLane { router.fastLane = BlobLane() }
        return router
    }

    /// Sends `request` then a closing request on one connection and returns every byte the
    /// server sent until it closed, with each Date value blanked.
    private static func conversation(_ port: Int, _ request: [UInt8], closing: Bool = true) async throws -> String {
        try await blocking {
            let client = try TestClient(port: port)
            try client.send(request + (closing ? Array("GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8) : []))
            let text = String(decoding: try client.readToEnd(), as: UTF8.self)
            return text.split(separator: "\r\n", omittingEmptySubsequences: false)
                .map { $0.hasPrefix("Date: ") ? "Date: -" : String($0) }
                .joined(separator: "\r\n")
        }
    }

    private static let plain = "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n\r\n"

    /// Requests the lane answers (fast-lane answers expected, first element).
    static let answered: [(Int, String)] = [
        (1, plain),
        (1, "HEAD /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n\r\n"),
        (1, "GET /blob HTTP/1.1\r\nhost: x\r\nUser-Agent: t\r\nAccept: */*\r\nauthorization:   Bearer ok  \r\n\r\n"),
        (1, "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nConnection: keep-alive\r\n\r\n"),
        (1, "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nConnection: keep-alive, Close\r\n\r\n"),
        (2, plain + "GET /other HTTP/1.1\r\nHost: x\r\n\r\n" + plain),
    ]

    /// Requests the lane must leave to the full parser: framing, smuggling and syntax attacks,
    /// and everything it does not handle.
    static let declined: [String] = [
        // RFC 9112 §6.3: a body on a GET (Content-Length, chunked), both framings, bad lengths.
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nContent-Length: 5\r\n\r\nhello",
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nContent-Length: 0\r\n\r\n",
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nContent-Length: 1, 2\r\n\r\nab",
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nTransfer-Encoding: gzip\r\n\r\n",
        // RFC 9112 §5.2 obs-fold, §2.2 bare CR and bare LF, §5.1 whitespace before the colon.
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nX-A: a\r\n b\r\n\r\n",
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r ok\r\n\r\n",
        "GET /blob HTTP/1.1\r\nHost: x\rAuthorization: Bearer ok\r\n\r\n",
        "GET /blob HTTP/1.1\nHost: x\nAuthorization: Bearer ok\n\n",
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\n\r\n",
        "GET /blob HTTP/1.1\r\nHost : x\r\nAuthorization: Bearer ok\r\n\r\n",
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \0ok\r\n\r\n",
        // RFC 9112 §3.2: Host missing, repeated, invalid; §3: the request line's grammar.
        "GET /blob HTTP/1.1\r\nAuthorization: Bearer ok\r\n\r\n",
        "GET /blob HTTP/1.1\r\nHost: x\r\nHost: y\r\nAuthorization: Bearer ok\r\n\r\n",
        "GET /blob HTTP/1.1\r\nHost: x y\r\nAuthorization: Bearer ok\r\n\r\n",
        "GET  /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n\r\n",
        "GET /blob  HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n\r\n",
        "get /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n\r\n",
        "GET /blob HTTP/2.0\r\nHost: x\r\nAuthorization: Bearer ok\r\n\r\n",
        "GET /blob HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer ok\r\n\r\n",
        "GET /blob HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer ok\r\nConnection: keep-alive\r\n\r\n",
        "GET http://x/blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n\r\n",
        "GET /blob?x=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n\r\n",
        "GET /blob#f HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n\r\n",
        "\r\nGET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n\r\n",
        // Fields that change the answer or ask for something (RFC 9110 §10.1.1, §13, §14).
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nRange: bytes=0-1\r\n\r\n",
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nIf-None-Match: \"abc\"\r\n\r\n",
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nExpect: 100-continue\r\n\r\n",
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nExpect: something\r\n\r\n",
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n",
        // Two Authorization fields, none, a wrong one: the lane cannot decide.
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nAuthorization: Bearer ok\r\n\r\n",
        "GET /blob HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer no\r\n\r\n",
        // Over the head limit (431).
        "GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nX-Big: " + String(repeating: "a", count: 17_000) + "\r\n\r\n",
    ]

    @Test(arguments: answered.indices)
    func aPlainRequestIsAnsweredOnTheLaneAsTheRouterAnswersIt(_ index: Int) async throws {
        let (expected, request) = Self.answered[index]
        let baseline = try await Self.answer(request, fastLane: false)
        let lean = try await Self.answer(request, fastLane: true)
        #expect(lean.text == baseline.text)
        #expect(lean.fastLaneAnswers == expected)
        #expect(baseline.fastLaneAnswers == 0)
    }

    @Test(arguments: declined.indices)
    func aHostileOrUnusualRequestGetsTheFullParsersAnswer(_ index: Int) async throws {
        let request = Self.declined[index]
        let baseline = try await Self.answer(request, fastLane: false)
        let lean = try await Self.answer(request, fastLane: true)
        #expect(lean.text == baseline.text)
        #expect(lean.fastLaneAnswers == 0)
    }

    /// A plain request split across reads is read by the full parser (the lane only looks at a
    /// whole head in one buffer) and answered the same.
    @Test func aHeadInPiecesTakesTheParserAndTheSameAnswer() async throws {
        try await withTestServer(router: try Self.router(fastLane: true)) { server, port in
            let text = try await blocking {
                let client = try TestClient(port: port)
                let bytes = Array(Self.plain.utf8)
                try client.send(Array(bytes[0..<20]))
                usleep(50_000)
                try client.send(Array(bytes[20...]))
                return try client.readResponse().text
            }
            #expect(text == "hello, blob")
            #expect(server.metrics.snapshot().fastLaneResponses == 0)
        }
    }

    /// Through a transport that writes at most 999 bytes per call, a lane answer larger than
    /// that is finished from the output queue, and a pipelined request waits for it.
    @Test func aPartialWriteIsFinishedBeforeThePipelinedRequest() async throws {
        struct LargeLane: HTTPFastLane {
            let prepared = HTTPPreparedResponse(status: .ok, headerFields: [:], body: [UInt8](repeating: 0x61, count: 5_000))
            var routePattern: String { "/large" }
            func response(for request: HTTPFastLaneRequest) -> HTTPPreparedResponse? { prepared }
        }
        var router = HTTPRouter()
        router.fastLane = LargeLane()
        try await withTestServer(
            router: router, configure: { $0.transportFactory = { SlicingTransport(fileDescriptor: $0) } }
        ) { server, port in
            let bodies = try await blocking {
                let client = try TestClient(port: port)
                try client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
                return try (0..<2).map { _ in try client.readResponse().body.count }
            }
            #expect(bodies == [5_000, 5_000])
            #expect(server.metrics.snapshot().fastLaneResponses == 2)
        }
    }

    /// The last request a connection may serve is answered with `Connection: close` on the
    /// lane too (`maxRequestsPerConnection`).
    @Test func theLastAllowedRequestClosesTheConnection() async throws {
        try await withTestServer(
            router: try Self.router(fastLane: true), configure: { $0.limits.maxRequestsPerConnection = 2 }
        ) { server, port in
            let text = try await Self.conversation(port, Array((Self.plain + Self.plain + Self.plain).utf8), closing: false)
            #expect(text.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
            #expect(text.components(separatedBy: "Connection: close").count == 2)
            #expect(server.metrics.snapshot().fastLaneResponses == 2)
        }
    }

    private static func answer(_ request: String, fastLane: Bool) async throws -> (text: String, fastLaneAnswers: Int) {
        var result = ("", 0)
        try await withTestServer(router: try router(fastLane: fastLane)) { server, port in
            let text = try await conversation(port, Array(request.utf8))
            result = (text, server.metrics.snapshot().fastLaneResponses)
        }
        return result
    }
}
