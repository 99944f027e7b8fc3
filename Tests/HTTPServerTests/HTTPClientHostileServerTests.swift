import HTTPTypes
import Testing

@testable import HTTPServer

@Suite("Client: hostile and broken servers")
struct HTTPClientHostileServerTests {
    /// The error one request gets from a raw server that answers with `response` (then keeps
    /// the connection open until the client closes it, so only the bytes can end the exchange).
    private func failure(
        answering response: String, configure: (inout HTTPClientConfiguration) -> Void = { _ in }
    ) async throws -> HTTPClientError? {
        let server = try RawTestServer { connection, _ in
            try connection.readHead()
            try connection.send(response)
            _ = connection.readUntilClosed()
        }
        return try await withHTTPClient(configure) { (client) async throws in
            await clientError { _ = try await client.fetch(.get, server.url + "/") }
        }
    }

    @Test func malformedHeadsAreRefused() async throws {
        #expect(try await failure(answering: "HTTP/1.1 OK\r\n\r\n") == .malformedResponse(reason: "malformed status code"))
        #expect(try await failure(answering: "SSH-2.0-OpenSSH\r\n\r\n") == .malformedResponse(reason: "malformed status line"))
        #expect(try await failure(answering: "HTTP/1.1 200 OK\nContent-Length: 0\n\n") == .malformedResponse(reason: "line ending without CR"))
        #expect(
            try await failure(answering: "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n")
                == .malformedResponse(reason: "obsolete line folding"))
        #expect(
            try await failure(answering: "HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n")
                == .malformedResponse(reason: "bare CR"))
        #expect(
            try await failure(answering: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n")
                == .malformedResponse(reason: "unrequested protocol switch"))
    }

    @Test func ambiguousFramingIsRefused() async throws {
        #expect(
            try await failure(answering: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
                == .malformedResponse(reason: "both Transfer-Encoding and Content-Length"))
        #expect(
            try await failure(answering: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
                == .malformedResponse(reason: "conflicting Content-Length"))
        #expect(
            try await failure(answering: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
                == .malformedResponse(reason: "unsupported transfer coding"))
    }

    @Test func hugeHeadsAreCutOff() async throws {
        let bigField = "HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "x", count: 200_000) + "\r\n\r\n"
        #expect(try await failure(answering: bigField, configure: { $0.maxResponseHeadBytes = 8192 }) == .responseHeadTooLarge(limit: 8192))
        let manyFields = "HTTP/1.1 200 OK\r\n" + (0..<50).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        #expect(try await failure(answering: manyFields, configure: { $0.maxResponseHeaderCount = 20 }) == .tooManyHeaderFields(limit: 20))
        // A flood of 1xx responses is cut off, not looped on for as long as it lasts.
        let interims = String(repeating: "HTTP/1.1 103 Early Hints\r\n\r\n", count: 1000)
        #expect(try await failure(answering: interims) == .malformedResponse(reason: "too many interim responses"))
    }

    /// The error reading the body of a response that starts well.
    private func bodyFailure(answering response: String, thenClose: Bool) async throws -> HTTPClientError? {
        let server = try RawTestServer { connection, _ in
            try connection.readHead()
            try connection.send(response)
            if !thenClose { _ = connection.readUntilClosed() }
        }
        return try await withHTTPClient({ $0.readIdleTimeout = .seconds(5) }) { (client) async throws in
            let response = try await client.execute(HTTPClientRequest(method: .get, url: server.url + "/"))
            #expect(response.status == .ok)
            return await clientError { _ = try await response.body.collect(upTo: 1 << 20) }
        }
    }

    @Test func brokenBodiesFailClearly() async throws {
        let chunkedHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(try await bodyFailure(answering: chunkedHead + "5\r\nabc", thenClose: true) == .connectionClosed)
        #expect(try await bodyFailure(answering: chunkedHead + "5\r\nabcde\r\n", thenClose: true) == .connectionClosed)
        #expect(
            try await bodyFailure(answering: chunkedHead + "zz\r\nabc\r\n0\r\n\r\n", thenClose: false)
                == .malformedResponse(reason: "invalid chunk size"))
        #expect(
            try await bodyFailure(answering: chunkedHead + "FFFFFFFFFFFFFFFFF\r\n", thenClose: false)
                == .malformedResponse(reason: "chunk size too large"))
        #expect(
            try await bodyFailure(answering: chunkedHead + "3\r\nabcX\r\n0\r\n\r\n", thenClose: false)
                == .malformedResponse(reason: "missing CRLF after chunk data"))
        #expect(
            try await bodyFailure(answering: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345", thenClose: true)
                == .connectionClosed)
    }

    @Test func closeDelimitedBodyEndsAtClose() async throws {
        let server = try RawTestServer { connection, _ in
            try connection.readHead()
            try connection.send("HTTP/1.1 200 OK\r\n\r\nuntil the end")
        }
        try await withHTTPClient { (client) async throws in
            let response = try await client.execute(HTTPClientRequest(method: .get, url: server.url + "/"))
            #expect(response.body.expectedLength == nil)
            #expect(try await response.body.collect(upTo: 100) == Array("until the end".utf8))
        }
    }

    @Test func serverClosingWithoutAnswerIsReported() async throws {
        let server = try RawTestServer { connection, _ in try connection.readHead() }
        try await withHTTPClient { (client) async throws in
            #expect(await clientError { _ = try await client.fetch(.get, server.url + "/") } == .connectionClosed)
        }
        // A fresh connection is never retried.
        #expect(server.acceptedCount == 1)
    }

    @Test func interimResponsesAreSkipped() async throws {
        let server = try RawTestServer { connection, _ in
            try connection.readHead()
            try connection.send("HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n")
            try connection.send("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-Final: yes\r\n\r\ndone")
            _ = connection.readUntilClosed()
        }
        try await withHTTPClient { (client) async throws in
            let result = try await client.fetch(.get, server.url + "/")
            #expect(result.status == 200)
            #expect(result.fields[HTTPField.Name("X-Final")!] == "yes")
            #expect(result.fields[HTTPField.Name("Link")!] == nil)
            #expect(result.body == Array("done".utf8))
        }
    }
}
