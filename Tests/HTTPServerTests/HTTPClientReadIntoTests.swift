import HTTPTypes
import Testing

@testable import HTTPServer

/// `HTTPClientResponseBody.read(into:)`: a body received straight into the caller's memory,
/// whatever its framing, in pieces no larger than the space offered, with the same failures
/// as iterating it.
@Suite("Client: reading a body into the caller's buffer")
struct HTTPClientReadIntoTests {
    /// The whole body, read into a buffer `window` bytes at a time.
    private func readAll(_ body: HTTPClientResponseBody, window: Int) async throws -> [UInt8] {
        let space = UnsafeMutableRawBufferPointer.allocate(byteCount: window, alignment: 1)
        defer { space.deallocate() }
        var received: [UInt8] = []
        while true {
            let count = try await body.read(into: space)
            #expect(count <= window)
            if count == 0 { return received }
            received += UnsafeRawBufferPointer(rebasing: space[..<count])
        }
    }

    /// The body of one GET to a raw server answering with `head` then `body`, then closing.
    private func rawBody(head: String, body: [UInt8], window: Int) async throws -> [UInt8] {
        let server = try RawTestServer { connection, _ in
            try connection.readHead()
            try connection.send(Array(head.utf8) + body)
            connection.close()
        }
        return try await withHTTPClient { (client) async throws in
            let response = try await client.execute(HTTPClientRequest(method: .get, url: server.url + "/"))
            return try await readAll(response.body, window: window)
        }
    }

    @Test(arguments: [1, 1000, 300_000])
    func sizedAndChunkedBodiesFromOurServer(window: Int) async throws {
        try await withTestServer(router: try clientTestRouter()) { server, port in
            try await withHTTPClient { (client) async throws in
                let base = "http://127.0.0.1:\(port)"
                let expected = TLSTestBytes.make(count: window == 1 ? 5_003 : (1 << 20) + 3, seed: 7)
                let sized = try await client.execute(HTTPClientRequest(method: .get, url: base + "/sized/\(expected.count)"))
                #expect(try await readAll(sized.body, window: window) == expected)
                // Past the end it stays at 0.
                #expect(try await readAll(sized.body, window: window).isEmpty)
                let chunked = try await client.execute(HTTPClientRequest(method: .get, url: base + "/stream/\(expected.count)/1031"))
                #expect(chunked.body.expectedLength == nil)
                #expect(try await readAll(chunked.body, window: window) == expected)
                // Both bodies ended cleanly: the connection was reused.
                #expect(server.metrics.snapshot().connectionsAccepted == 1)
            }
        }
    }

    @Test func aBodyEndedByTheServerClosing() async throws {
        let body = TLSTestBytes.make(count: 70_001, seed: 3)
        #expect(try await rawBody(head: "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", body: body, window: 4096) == body)
    }

    @Test func chunkFramingSplitAcrossTheSpaceOffered() async throws {
        // Chunk-size lines and data in one packet, with a window smaller than one chunk.
        let framed = Array("a\r\n0123456789\r\n3\r\nabc\r\n0\r\n\r\n".utf8)
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(try await rawBody(head: head, body: framed, window: 4) == Array("0123456789abc".utf8))
    }

    @Test func brokenBodiesFailAsWhenIterated() async throws {
        let cases: [(String, HTTPClientError)] = [
            ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345", .connectionClosed),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc", .connectionClosed),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", .malformedResponse(reason: "invalid chunk size")),
        ]
        for (answer, expected) in cases {
            let failure = await clientError { _ = try await rawBody(head: answer, body: [], window: 64) }
            #expect(failure == expected, "\(answer)")
        }
    }
}
