import Testing

@testable import HTTPServer

@Suite("Client: response head parser")
struct HTTPClientResponseParserTests {
    private static let limits = HTTPResponseHeadParser.Limits(maxHeadBytes: 4096, maxHeaderCount: 8)

    /// Parses `text` whole; returns the head and the bytes consumed.
    private func parse(_ text: String, limits: HTTPResponseHeadParser.Limits = limits) throws(HTTPClientError) -> (HTTPResponseHead?, Int) {
        var parser = HTTPResponseHeadParser(limits: limits)
        let bytes = Array(text.utf8)
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(HTTPClientError) in try parser.parse(raw) }
        }
        let (consumed, head) = try result.get()
        return (head, consumed)
    }

    /// Parses `text` one byte at a time.
    private func parseByteByByte(_ text: String) throws(HTTPClientError) -> HTTPResponseHead? {
        var parser = HTTPResponseHeadParser(limits: Self.limits)
        for byte in text.utf8 {
            let result = [byte].withUnsafeBytes { raw in Result { () throws(HTTPClientError) in try parser.parse(raw) } }
            if let head = try result.get().head { return head }
        }
        return nil
    }

    private func failure(_ text: String, limits: HTTPResponseHeadParser.Limits = limits) -> HTTPClientError? {
        do {
            _ = try parse(text, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesStatusFieldsAndFraming() throws {
        let text = "HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-Thing:  a b \r\n\r\nhello"
        let (head, consumed) = try parse(text)
        let parsed = try #require(head)
        #expect(consumed == text.utf8.count - 5)
        #expect(parsed.statusCode == 201)
        #expect(parsed.reasonPhrase == "Created")
        #expect(parsed.minorVersion == 1)
        #expect(parsed.headers == [HTTPHeaderLine(name: "Content-Length", value: "5"), HTTPHeaderLine(name: "X-Thing", value: "a b")])
        #expect(parsed.framing == .contentLength(5))
        #expect(parsed.allowsReuse(requestWasHEAD: false))
        #expect(try parseByteByByte(text) == parsed)
    }

    @Test func derivesFramingAndPersistence() throws {
        let chunked = try #require(try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n").0)
        #expect(chunked.framing == .chunked)
        let untilClose = try #require(try parse("HTTP/1.1 200 OK\r\n\r\n").0)
        #expect(untilClose.framing == .untilClose)
        #expect(!untilClose.allowsReuse(requestWasHEAD: false))
        // RFC 9112 §6.3 rule 1: HEAD, 204 and 304 have no body whatever the fields say.
        #expect(untilClose.allowsReuse(requestWasHEAD: true))
        #expect(untilClose.bodyFraming(requestWasHEAD: true) == .none)
        let noContent = try #require(try parse("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n").0)
        #expect(noContent.bodyFraming(requestWasHEAD: false) == .none)
        let notModified = try #require(try parse("HTTP/1.1 304 Not Modified\r\n\r\n").0)
        #expect(notModified.bodyFraming(requestWasHEAD: false) == .none)
        let closing = try #require(try parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n").0)
        #expect(closing.connectionClose)
        #expect(!closing.allowsReuse(requestWasHEAD: false))
        let old = try #require(try parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").0)
        #expect(!old.allowsReuse(requestWasHEAD: false))
        let interim = try #require(try parse("HTTP/1.1 100 Continue\r\n\r\n").0)
        #expect(interim.isInterim)
        // An empty reason phrase, with or without the space before it.
        #expect(try parse("HTTP/1.1 200 \r\n\r\n").0?.reasonPhrase == "")
        #expect(try parse("HTTP/1.1 200\r\n\r\n").0?.statusCode == 200)
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\n\r\n").0?.framing == .contentLength(7))
    }

    @Test func refusesMalformedStatusLines() {
        for text in [
            "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 099 Low\r\n\r\n", "HTTP/1.1 600 High\r\n\r\n",
            "HTTP/1.1  200 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "HTTX/1.1 200 OK\r\n\r\n", "http/1.1 200 OK\r\n\r\n",
            "HTTP/2.0 200 OK\r\n\r\n", "HTTP/1.1 200 O\u{1}K\r\n\r\n", "garbage\r\n\r\n", "HTTP/1.1 200 OK\rX\r\n\r\n",
        ] {
            guard case .malformedResponse = failure(text) else {
                Issue.record("accepted: \(text.debugDescription)")
                continue
            }
        }
    }

    @Test func refusesSmugglingAndBrokenFields() {
        let cases: [(String, String)] = [
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "both Transfer-Encoding and Content-Length"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "conflicting Content-Length"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", "conflicting Content-Length"),
            ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n", "invalid Content-Length"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n", "invalid Content-Length"),
            ("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", "invalid Content-Length"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported transfer coding"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "unsupported transfer coding"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", "chunked applied twice"),
            ("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding in HTTP/1.0"),
            ("HTTP/1.1 200 OK\r\nX-A: 1\r\n continued\r\n\r\n", "obsolete line folding"),
            ("HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n", "malformed field line"),
            ("HTTP/1.1 200 OK\r\n: 1\r\n\r\n", "malformed field line"),
            ("HTTP/1.1 200 OK\r\nX-A: 1\u{0}2\r\n\r\n", "invalid field value"),
            ("HTTP/1.1 200 OK\r\nX-A: 1\r2\r\n\r\n", "bare CR"),
            ("HTTP/1.1 200 OK\nX-A: 1\r\n\r\n", "line ending without CR"),
            ("HTTP/1.1 200 OK\r\nX-A: 1\n\r\n", "line ending without CR"),
        ]
        for (text, reason) in cases {
            #expect(failure(text) == .malformedResponse(reason: reason), "\(text.debugDescription)")
        }
    }

    @Test func enforcesSizeLimitsBeforeTheHeadIsComplete() throws {
        // The limit is hit while bytes arrive: no terminator needed.
        let endless = "HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "a", count: 5000)
        #expect(failure(endless) == .responseHeadTooLarge(limit: 4096))
        var parser = HTTPResponseHeadParser(limits: Self.limits)
        var thrown: HTTPClientError?
        for _ in 0..<100 {
            let piece = Array(String(repeating: "b", count: 100).utf8)
            let result = piece.withUnsafeBytes { raw in Result { () throws(HTTPClientError) in try parser.parse(raw) } }
            if case .failure(let error) = result {
                thrown = error
                break
            }
        }
        #expect(thrown == .responseHeadTooLarge(limit: 4096))
        let fields = (0..<9).map { "X-\($0): v\r\n" }.joined()
        #expect(failure("HTTP/1.1 200 OK\r\n\(fields)\r\n") == .tooManyHeaderFields(limit: 8))
        #expect(try parse("HTTP/1.1 200 OK\r\n\((0..<8).map { "X-\($0): v\r\n" }.joined())\r\n").0 != nil)
    }

    @Test func parsesConsecutiveHeadsAfterReset() throws {
        var parser = HTTPResponseHeadParser(limits: Self.limits)
        let bytes = Array("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
        let first = try bytes.withUnsafeBytes { raw in
            try Result { () throws(HTTPClientError) in try parser.parse(raw) }.get()
        }
        #expect(first.head?.statusCode == 100)
        let second = try bytes.withUnsafeBytes { raw in
            try Result { () throws(HTTPClientError) in try parser.parse(UnsafeRawBufferPointer(rebasing: raw[first.consumed...])) }.get()
        }
        #expect(second.head?.statusCode == 200)
        #expect(first.consumed + second.consumed == bytes.count - 2)
    }
}
