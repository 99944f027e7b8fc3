import HTTPTypes
import Synchronization
import Testing

@testable import HTTPServer

@Suite("Client: requests and responses against our server")
struct HTTPClientExchangeTests {
    @Test func getPostAndPutWithBytesAndStreams() async throws {
        try await withTestServer(router: try clientTestRouter()) { server, port in
            try await withHTTPClient { (client) async throws in
                let base = "http://127.0.0.1:\(port)"
                let hello = try await client.fetch(.get, base + "/hello")
                #expect(hello.status == 200)
                #expect(hello.body == Array("hello".utf8))
                #expect(hello.fields[.contentType] == "text/plain; charset=utf-8")

                let payload = TLSTestBytes.make(count: (3 << 20) + 17, seed: 11)
                #expect(try await client.fetch(.post, base + "/echo", body: .bytes(payload)).body == payload)
                let known = try await client.fetch(
                    .put, base + "/echo", body: .stream(length: Int64(payload.count), producer: producer(of: payload, runSize: 7777)))
                #expect(known.body == payload)
                let chunked = try await client.fetch(
                    .put, base + "/echo", body: .stream(length: nil, producer: producer(of: payload, runSize: 65_537)))
                #expect(chunked.body == payload)
                // An empty chunked stream is a valid empty body.
                #expect(try await client.fetch(.put, base + "/echo", body: .stream(length: nil) { _ in }).body.isEmpty)
                // Everything went over one keep-alive connection.
                #expect(server.metrics.snapshot().connectionsAccepted == 1)
            }
        }
    }

    @Test func downloadsWithLengthAndChunked() async throws {
        try await withTestServer(router: try clientTestRouter()) { server, port in
            try await withHTTPClient { (client) async throws in
                let base = "http://127.0.0.1:\(port)"
                let expected = TLSTestBytes.make(count: (5 << 20) + 3, seed: 7)
                let sized = try await client.execute(HTTPClientRequest(method: .get, url: base + "/sized/\(expected.count)"))
                #expect(sized.body.expectedLength == Int64(expected.count))
                #expect(try await sized.body.collect(upTo: 8 << 20) == expected)
                let streamed = try await client.execute(HTTPClientRequest(method: .get, url: base + "/stream/\(expected.count)/1031"))
                #expect(streamed.body.expectedLength == nil)
                #expect(streamed.headerFields[.transferEncoding] == "chunked")
                var received: [UInt8] = []
                for try await chunk in streamed.body {
                    #expect(chunk.count <= HTTPClientBodyReader.maxChunkBytes)
                    received += chunk
                }
                #expect(received == expected)
                #expect(server.metrics.snapshot().connectionsAccepted == 1)
            }
        }
    }

    @Test func bodylessResponsesLeaveTheConnectionReusable() async throws {
        try await withTestServer(router: try clientTestRouter()) { server, port in
            try await withHTTPClient { (client) async throws in
                let base = "http://127.0.0.1:\(port)"
                let head = try await client.execute(HTTPClientRequest(method: .head, url: base + "/sized/5000"))
                #expect(head.status == .ok)
                #expect(head.headerFields[.contentLength] == "5000")
                #expect(head.body.expectedLength == 0)
                #expect(try await head.body.collect(upTo: 0).isEmpty)
                let noContent = try await client.fetch(.get, base + "/no-content")
                #expect(noContent.status == 204)
                #expect(noContent.body.isEmpty)
                let notModified = try await client.fetch(.get, base + "/not-modified")
                #expect(notModified.status == 304)
                #expect(notModified.fields[.eTag] == "\"v1\"")
                #expect(try await client.fetch(.get, base + "/hello").body == Array("hello".utf8))
                #expect(server.metrics.snapshot().connectionsAccepted == 1)
            }
        }
    }

    @Test func speaksIPv6() async throws {
        try await withTestServer(router: try clientTestRouter(), configure: { $0.host = "::1" }) { _, port in
            try await withHTTPClient { (client) async throws in
                #expect(try await client.fetch(.get, "http://[::1]:\(port)/hello").body == Array("hello".utf8))
            }
        }
    }

    @Test func namesResolveAndEveryAddressIsTried() async throws {
        // "localhost" may resolve to ::1 first while the server listens on 127.0.0.1 only:
        // the refused address is skipped.
        try await withTestServer(router: try clientTestRouter()) { _, port in
            try await withHTTPClient { (client) async throws in
                #expect(try await client.fetch(.get, "http://localhost:\(port)/hello").status == 200)
            }
        }
    }

    @Test func refusedConnectionsAndUnknownHostsFailClearly() async throws {
        // A bound socket that does not listen: connecting to it is refused, and nobody else can
        // take the port meanwhile.
        let reserved = try ReservedPort()
        let port = reserved.port
        try await withHTTPClient { (client) async throws in
            let refused = await clientError { _ = try await client.fetch(.get, "http://127.0.0.1:\(port)/") }
            #expect(refused == .connectionRefused(host: "127.0.0.1", port: port))
            let unknown = await clientError { _ = try await client.fetch(.get, "http://no-such-host.invalid/") }
            guard case .resolutionFailed(let host, _) = unknown else {
                Issue.record("expected a resolution failure, got \(String(describing: unknown))")
                return
            }
            #expect(host == "no-such-host.invalid")
        }
    }

    @Test func collectRefusesOversizedBodies() async throws {
        try await withTestServer(router: try clientTestRouter()) { _, port in
            try await withHTTPClient { (client) async throws in
                let base = "http://127.0.0.1:\(port)"
                let sized = try await client.execute(HTTPClientRequest(method: .get, url: base + "/sized/5000"))
                #expect(await clientError { _ = try await sized.body.collect(upTo: 4999) } == .bodyTooLarge(limit: 4999))
                let streamed = try await client.execute(HTTPClientRequest(method: .get, url: base + "/stream/5000/100"))
                #expect(await clientError { _ = try await streamed.body.collect(upTo: 4999) } == .bodyTooLarge(limit: 4999))
                // The body that was given up on is not read further.
                #expect(await clientError { _ = try await streamed.body.collect(upTo: 10_000) } == .bodyTooLarge(limit: 4999))
                #expect(try await client.fetch(.get, base + "/hello").status == 200)
            }
        }
    }

    @Test func streamProducerMistakesAreRefused() async throws {
        try await withTestServer(router: try clientTestRouter()) { _, port in
            try await withHTTPClient { (client) async throws in
                let url = "http://127.0.0.1:\(port)/echo"
                let short = await clientError {
                    _ = try await client.fetch(.put, url, body: .stream(length: 10) { try await $0.write([1, 2, 3]) })
                }
                #expect(short == .invalidRequest(reason: "body shorter than its declared length"))
                let long = await clientError {
                    _ = try await client.fetch(.put, url, body: .stream(length: 2) { try await $0.write([1, 2, 3]) })
                }
                #expect(long == .invalidRequest(reason: "body longer than its declared length"))
                let kept = Mutex<HTTPClientBodyWriter?>(nil)
                _ = try await client.fetch(.put, url, body: .stream(length: nil) { writer in kept.withLock { $0 = writer } })
                let writer = try #require(kept.withLock { $0 })
                let late = await clientError { try await writer.write([1]) }
                #expect(late == .invalidRequest(reason: "body writer used after its producer returned"))
                #expect(try await client.fetch(.get, "http://127.0.0.1:\(port)/hello").status == 200)
            }
        }
    }
}
