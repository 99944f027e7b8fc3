import Foundation
import HTTPTypes
import Testing

@testable import HTTPServer

@Suite("Client: URLs and request heads")
struct HTTPClientRequestTests {
    private func head(_ request: HTTPClientRequest, userAgent: String? = "coffre") throws -> String {
        var configuration = HTTPClientConfiguration()
        configuration.userAgent = userAgent
        let prepared = try HTTPClientPreparedRequest(request, configuration: configuration)
        return String(decoding: prepared.head, as: UTF8.self)
    }

    @Test func parsesURLs() throws {
        let url = try HTTPClientURL(parsing: "HTTPS://Example.COM/a/b?c=d#frag")
        #expect(url.scheme == .https)
        #expect(url.host == "example.com")
        #expect(url.port == 443)
        #expect(url.pathAndQuery == "/a/b?c=d")
        #expect(try HTTPClientURL(parsing: "http://127.0.0.1:8080").pathAndQuery == "/")
        #expect(try HTTPClientURL(parsing: "http://h?x=1").pathAndQuery == "/?x=1")
        let v6 = try HTTPClientURL(parsing: "http://[::1]:9000/p")
        #expect(v6.host == "::1")
        #expect(v6.port == 9000)
        #expect(try HTTPClientURL(parsing: "https://[2001:DB8::1]/").port == 443)
    }

    @Test func refusesURLsThatCouldSmuggleOrMislead() {
        for url in [
            "ftp://host/", "http:/host/", "host/path", "http://user:pass@host/", "http://host:0/", "http://host:65536/",
            "http://host:8o/", "http://[::1/", "http://[::g]/", "http://[::1]x/", "http://ho st/",
            "http://host/a b", "http://host/a\r\nX-Injected: 1", "http://host/\u{0}", "http://h\u{e9}st/", "http:///path",
            "http://" + String(repeating: "a", count: 254) + "/",
        ] {
            #expect(throws: HTTPClientError.self, "\(url.debugDescription)") { try HTTPClientURL(parsing: url) }
        }
    }

    @Test func writesTheRequestHead() throws {
        var fields = HTTPFields()
        fields[.accept] = "application/json"
        fields[.contentLength] = "999"
        fields[.transferEncoding] = "gzip"
        fields[HTTPField.Name("Host")!] = "evil.example"
        let request = HTTPClientRequest(
            method: .post, scheme: .http, host: "[::1]", port: 8080, pathAndQuery: "/v1/x?y=z", headerFields: fields,
            body: .bytes(Array("hello".utf8)))
        #expect(
            try head(request)
                == "POST /v1/x?y=z HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: coffre\r\nAccept: application/json\r\nContent-Length: 5\r\n\r\n"
        )
        // Default port omitted; Content-Length: 0 for PUT without content; none for GET.
        #expect(
            try head(HTTPClientRequest(method: .put, scheme: .https, host: "Example.com", pathAndQuery: "/"), userAgent: nil)
                == "PUT / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n")
        #expect(try head(HTTPClientRequest(method: .get, scheme: .http, host: "h"), userAgent: nil) == "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let chunked = HTTPClientRequest(method: .put, scheme: .http, host: "h", body: .stream(length: nil) { _ in })
        #expect(try head(chunked, userAgent: nil) == "PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
    }

    @Test func expectContinueOnlyWithContent() throws {
        var request = HTTPClientRequest(method: .put, scheme: .http, host: "h", body: .bytes([1, 2, 3]))
        request.expectContinue = true
        let prepared = try HTTPClientPreparedRequest(request, configuration: HTTPClientConfiguration())
        let text = String(decoding: try #require(prepared.headExpectingContinue), as: UTF8.self)
        #expect(text.hasSuffix("Content-Length: 3\r\nExpect: 100-continue\r\n\r\n"))
        request.body = .none
        #expect(try HTTPClientPreparedRequest(request, configuration: HTTPClientConfiguration()).headExpectingContinue == nil)
    }

    @Test func fieldValuesCannotEndTheLine() throws {
        var fields = HTTPFields()
        // HTTPTypes legalizes CR/LF/NUL to spaces; whatever reaches the head is one line.
        fields[HTTPField.Name("X-Note")!] = "a\r\nX-Injected: 1"
        let text = try head(HTTPClientRequest(method: .get, scheme: .http, host: "h", headerFields: fields))
        #expect(!text.contains("\r\nX-Injected"))
        #expect(text.components(separatedBy: "\r\n").count == 6)
    }

    @Test func refusesBadRequestParts() {
        let bad: [HTTPClientRequest] = [
            HTTPClientRequest(method: .get, scheme: .http, host: "h", pathAndQuery: "relative"),
            HTTPClientRequest(method: .get, scheme: .http, host: "h", pathAndQuery: "/a b"),
            HTTPClientRequest(method: .get, scheme: .http, host: "h", pathAndQuery: "/a#b"),
            HTTPClientRequest(method: .get, scheme: .http, host: "h", port: 0),
            HTTPClientRequest(method: .get, scheme: .http, host: "h\r\nX: y"),
            HTTPClientRequest(method: .get, scheme: .http, host: ""),
            HTTPClientRequest(method: .put, scheme: .http, host: "h", body: .stream(length: -1) { _ in }),
        ]
        for request in bad {
            #expect(throws: HTTPClientError.self) { try HTTPClientPreparedRequest(request, configuration: HTTPClientConfiguration()) }
        }
    }

    @Test func retryDependsOnMethodAndBody() throws {
        let configuration = HTTPClientConfiguration()
        #expect(try HTTPClientPreparedRequest(HTTPClientRequest(method: .get, scheme: .http, host: "h"), configuration: configuration).isRetryable)
        #expect(try !HTTPClientPreparedRequest(HTTPClientRequest(method: .post, scheme: .http, host: "h"), configuration: configuration).isRetryable)
        let stream = HTTPClientRequest(method: .put, scheme: .http, host: "h", body: .stream(length: 1) { _ in })
        #expect(try !HTTPClientPreparedRequest(stream, configuration: configuration).isRetryable)
        var post = HTTPClientRequest(method: .post, scheme: .http, host: "h", body: .bytes([1]))
        post.isIdempotent = true
        #expect(try HTTPClientPreparedRequest(post, configuration: configuration).isRetryable)
    }
}
