import Testing

@testable import HTTPServer

@Suite("Request head parser")
struct HTTPRequestHeadParserTests {
    static let limits = HTTPRequestHeadParser.Limits(maxHeadBytes: 1024, maxHeaderCount: 8, maxURILength: 256)

    /// Feeds all bytes at once.
    func parseWhole(_ text: String) throws(HTTPServerError) -> (HTTPRequestHead?, Int) {
        var parser = HTTPRequestHeadParser(limits: Self.limits)
        let bytes = Array(text.utf8)
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(HTTPServerError) in try parser.parse(buffer) }
        }
        let (consumed, head) = try result.get()
        return (head, consumed)
    }

    /// Feeds one byte at a time, as a slow client would send them.
    func parseByteByByte(_ text: String) throws(HTTPServerError) -> HTTPRequestHead? {
        var parser = HTTPRequestHeadParser(limits: Self.limits)
        for byte in Array(text.utf8) {
            let result = [byte].withUnsafeBytes { buffer in
                Result { () throws(HTTPServerError) in try parser.parse(buffer) }
            }
            let (consumed, head) = try result.get()
            #expect(consumed == 1)
            if let head { return head }
        }
        return nil
    }

    @Test func parsesASimpleGet() throws {
        let text = "GET /v1/items?limit=5 HTTP/1.1\r\nHost: example.org\r\nAccept:  */* \r\n\r\n"
        let (head, consumed) = try parseWhole(text)
        let parsed = try #require(head)
        #expect(consumed == text.utf8.count)
        #expect(parsed.method == "GET")
        #expect(parsed.target == "/v1/items?limit=5")
        #expect(parsed.path == "/v1/items")
        #expect(parsed.query == "limit=5")
        #expect(parsed.minorVersion == 1)
        #expect(parsed.headers == [HTTPHeaderLine(name: "Host", value: "example.org"), HTTPHeaderLine(name: "Accept", value: "*/*")])
        #expect(parsed.framing == .none)
        #expect(parsed.clientAllowsKeepAlive)
        #expect(try parseByteByByte(text) == parsed)
    }

    @Test func stopsAtTheEndOfTheHead() throws {
        let first = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n"
        let (head, consumed) = try parseWhole(first + "abcGET / HTTP/1.1\r\n")
        #expect(consumed == first.utf8.count)
        #expect(head?.framing == .contentLength(3))
    }

    @Test func skipsLeadingEmptyLinesAndKeepsState() throws {
        let head = try parseByteByByte("\r\n\r\nGET / HTTP/1.0\r\n\r\n")
        #expect(head?.minorVersion == 0)
        #expect(head?.clientAllowsKeepAlive == false)
    }

    @Test func readsFramingAndConnectionFields() throws {
        let chunked = try parseWhole("PUT /f HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\nExpect: 100-Continue\r\n\r\n").0
        #expect(chunked?.framing == .chunked)
        #expect(chunked?.connectionClose == true)
        #expect(chunked?.expectContinue == true)
        let repeated = try parseWhole("PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\ncontent-length: 5\r\n\r\n").0
        #expect(repeated?.framing == .contentLength(5))
        let keepAlive = try parseWhole("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nExpect: 100-continue\r\n\r\n").0
        #expect(keepAlive?.clientAllowsKeepAlive == true)
        #expect(keepAlive?.expectContinue == false)  // ignored for HTTP/1.0
    }

    @Test func acceptsTargetForms() throws {
        let absolute = try parseWhole("GET http://example.org:80/a/b?x=1 HTTP/1.1\r\nHost: example.org\r\n\r\n").0
        #expect(absolute?.path == "/a/b")
        #expect(absolute?.query == "x=1")
        let overridden = try parseWhole("GET http://real.example/x HTTP/1.1\r\nHost: other\r\n\r\n").0
        #expect(overridden?.host == "real.example")
        let bare = try parseWhole("GET HTTPS://example.org HTTP/1.1\r\nHost: example.org\r\n\r\n").0
        #expect(bare?.path == "/")
        let asterisk = try parseWhole("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").0
        #expect(asterisk?.path == "*")
        let webdav = try parseWhole("PROPFIND /dav/ HTTP/1.1\r\nHost: h\r\nDepth: 1\r\n\r\n").0
        #expect(webdav?.method == "PROPFIND")
    }

    static let refused: [(String, HTTPServerError)] = [
        ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(reason: "malformed request line")),
        ("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", .badRequest(reason: "malformed HTTP version")),
        ("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(reason: "malformed request line")),
        ("GET / HTTX/1.1\r\nHost: h\r\n\r\n", .badRequest(reason: "malformed HTTP version")),
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", .unsupportedVersion),
        ("GET / HTTP/1.1\r\nHost : h\r\n\r\n", .badRequest(reason: "malformed field line")),
        ("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  folded\r\n\r\n", .badRequest(reason: "obsolete line folding")),
        ("GET / HTTP/1.1\r\nHost: h\rX: 1\r\n\r\n", .badRequest(reason: "bare CR")),
        ("GET / HTTP/1.1\nHost: h\r\n\r\n", .badRequest(reason: "line ending without CR")),
        ("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{0}b\r\n\r\n", .badRequest(reason: "invalid field value")),
        ("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", .badRequest(reason: "missing or repeated Host")),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .badRequest(reason: "missing or repeated Host")),
        ("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", .badRequest(reason: "invalid Host")),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", .badRequest(reason: "invalid Content-Length")),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", .badRequest(reason: "conflicting Content-Length")),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", .badRequest(reason: "invalid Content-Length")),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", .badRequest(reason: "both Transfer-Encoding and Content-Length")),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferCoding),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .badRequest(reason: "chunked is not the final coding")),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", .badRequest(reason: "chunked applied twice")),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .badRequest(reason: "Transfer-Encoding in HTTP/1.0")),
        ("GET / HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\n\r\n", .expectationFailed),
        ("GET * HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(reason: "asterisk-form target")),
        ("CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n", .badRequest(reason: "unsupported target form")),
        ("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(reason: "fragment in target")),
        ("GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(reason: "invalid authority in target")),
        ("GET http://us\"er@h/x HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest(reason: "invalid authority in target")),
        ("GET /" + String(repeating: "a", count: 300) + " HTTP/1.1\r\nHost: h\r\n\r\n", .uriTooLong),
        ("GET / HTTP/1.1\r\nHost: h\r\n" + String(repeating: "X: y\r\n", count: 9) + "\r\n", .tooManyHeaderFields),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "v", count: 1100) + "\r\n\r\n", .requestHeadTooLarge),
    ]

    @Test(arguments: 0..<refused.count)
    func refusesInvalidHeads(_ index: Int) {
        let (text, expected) = Self.refused[index]
        #expect(throws: expected) { try parseWhole(text) }
        #expect(throws: expected) { try parseByteByByte(text) }
    }

    @Test func refusesOversizedInputBeforeTheHeadEnds() {
        // No CRLF CRLF ever arrives: the limit must fire on the bytes alone.
        let endless = "GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "v", count: 2000)
        #expect(throws: HTTPServerError.requestHeadTooLarge) { try parseWhole(endless) }
        let longLine = "GET /" + String(repeating: "a", count: 1000)
        #expect(throws: HTTPServerError.uriTooLong) { try parseWhole(longLine) }
        let blankLines = String(repeating: "\r\n", count: 600)
        #expect(throws: HTTPServerError.requestHeadTooLarge) { try parseWhole(blankLines) }
    }

    @Test func errorsMapToStatusCodes() {
        #expect(HTTPServerError.badRequest(reason: "x").statusCode == 400)
        #expect(HTTPServerError.requestHeadTooLarge.statusCode == 431)
        #expect(HTTPServerError.tooManyHeaderFields.statusCode == 431)
        #expect(HTTPServerError.uriTooLong.statusCode == 414)
        #expect(HTTPServerError.contentTooLarge(limit: 1).statusCode == 413)
        #expect(HTTPServerError.unsupportedTransferCoding.statusCode == 501)
        #expect(HTTPServerError.unsupportedVersion.statusCode == 505)
        #expect(HTTPServerError.headerReadTimeout.statusCode == 408)
        #expect(HTTPServerError.bodyTruncated.statusCode == nil)
    }
}
