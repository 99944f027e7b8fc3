import HTTPTypes

/// A response: status, header fields and a body. The server adds Date, the framing fields
/// (Content-Length or Transfer-Encoding) and Connection itself; values set for those by the
/// handler are replaced.
public struct HTTPServerResponse: Sendable {
    /// The status code and reason phrase.
    public var status: HTTPResponse.Status
    /// Header fields; framing, Connection and Date fields are set by the server.
    public var headerFields: HTTPFields
    /// The content.
    public var body: HTTPResponseBody

    /// A response; an empty body by default.
    public init(status: HTTPResponse.Status, headerFields: HTTPFields = [:], body: HTTPResponseBody = .empty) {
        self.status = status
        self.headerFields = headerFields
        self.body = body
    }

    /// A response with a UTF-8 text body and `Content-Type: text/plain; charset=utf-8`.
    public static func text(_ text: String, status: HTTPResponse.Status = .ok) -> HTTPServerResponse {
        var fields = HTTPFields()
        fields[.contentType] = "text/plain; charset=utf-8"
        return HTTPServerResponse(status: status, headerFields: fields, body: .bytes(Array(text.utf8)))
    }
}

/// The body of a response.
public enum HTTPResponseBody: Sendable {
    /// No body (Content-Length: 0 where a body is allowed).
    case empty
    /// Bytes in memory.
    case bytes([UInt8])
    /// A region of an open file, sent with sendfile(2) on plain sockets and read and written
    /// through TLS; the descriptor is closed when the response is done.
    case file(HTTPFileRegion)
    /// Bytes produced by `writer`, which runs as a task; `write` suspends while the connection
    /// is behind. With a known `length` the response has a Content-Length (the connection is
    /// closed if the writer produces a different count); otherwise it is chunked (HTTP/1.1) or
    /// delimited by closing the connection (HTTP/1.0).
    case stream(length: Int64?, writer: @Sendable (HTTPResponseBodyWriter) async throws -> Void)

    /// The body length when it is known before sending.
    var knownLength: Int64? {
        switch self {
        case .empty: 0
        case .bytes(let bytes): Int64(bytes.count)
        case .file(let region): region.length
        case .stream(let length, _): length
        }
    }
}

/// An error that knows the response it should produce; the app maps its errors in one place by
/// conforming them. Any other error thrown by a handler becomes a 500 with a generic body.
public protocol HTTPResponseError: Error {
    /// The status to answer.
    var status: HTTPResponse.Status { get }
    /// Extra header fields (e.g. `Allow`, `WWW-Authenticate`); none by default.
    var headerFields: HTTPFields { get }
    /// The body; the status's reason phrase by default. Must not echo user content.
    var body: [UInt8] { get }
}

extension HTTPResponseError {
    /// No extra fields.
    public var headerFields: HTTPFields { [:] }
    /// `"<code> <reason phrase>\n"`.
    public var body: [UInt8] { Array("\(status.code) \(status.reasonPhrase)\n".utf8) }
}
