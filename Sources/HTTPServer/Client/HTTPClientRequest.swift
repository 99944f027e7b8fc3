import HTTPTypes

/// One request for `HTTPClient.execute(_:)`: method, where it goes, header fields and body,
/// plus per-request options (100-continue, read timeout, TLS trust).
///
/// The client sets `Host`, the framing fields (`Content-Length`, `Transfer-Encoding`), `Expect`
/// and, when missing, `User-Agent`; values given here for the first four are replaced.
public struct HTTPClientRequest: Sendable {
    /// The URL schemes the client speaks.
    public enum Scheme: String, Sendable, Hashable {
        case http
        case https

        /// 80 or 443 (RFC 9110 §4.2.1, §4.2.2).
        public var defaultPort: Int { self == .http ? 80 : 443 }
    }

    /// The method; any token (WebDAV methods included).
    public var method: HTTPRequest.Method
    /// `http` or `https`.
    public var scheme: Scheme
    /// A DNS name or an IPv4/IPv6 literal (IPv6 without brackets).
    public var host: String
    /// The TCP port.
    public var port: Int
    /// The origin-form target: the path, starting with `/`, and an optional `?query`, already
    /// percent-encoded (RFC 9112 §3.2.1).
    public var pathAndQuery: String
    /// Header fields, sent in order.
    public var headerFields: HTTPFields
    /// The content.
    public var body: HTTPClientRequestBody
    /// Send `Expect: 100-continue` and hold the body until the server answers 100 or the
    /// client's continue timeout passes (RFC 9110 §10.1.1). Ignored without a body.
    public var expectContinue: Bool
    /// Replaces the client's idle-read timeout for this request (e.g. ~90 s for a long poll).
    public var readIdleTimeout: Duration?
    /// Replaces the client's TLS trust for this request (HTTPS only).
    public var tlsTrust: TLSClientTrust?
    /// Whether the request may be sent again on a fresh connection when a reused connection
    /// fails before any byte of the response arrived. Defaults to the method's idempotence
    /// (RFC 9110 §9.2.2); a stream body is never sent twice whatever this says.
    public var isIdempotent: Bool

    /// A request to `scheme://host:port` + `pathAndQuery`. Validated when executed.
    public init(
        method: HTTPRequest.Method, scheme: Scheme, host: String, port: Int? = nil, pathAndQuery: String = "/",
        headerFields: HTTPFields = [:], body: HTTPClientRequestBody = .none
    ) {
        self.method = method
        self.scheme = scheme
        self.host = host
        self.port = port ?? scheme.defaultPort
        self.pathAndQuery = pathAndQuery
        self.headerFields = headerFields
        self.body = body
        self.expectContinue = false
        self.readIdleTimeout = nil
        self.tlsTrust = nil
        self.isIdempotent = Self.idempotentMethods.contains(method.rawValue)
    }

    /// A request to an absolute `http://` or `https://` URL (a fragment is dropped, user
    /// information is refused). Throws `.invalidRequest` for a URL the client will not send.
    public init(
        method: HTTPRequest.Method, url: String, headerFields: HTTPFields = [:], body: HTTPClientRequestBody = .none
    ) throws(HTTPClientError) {
        let parts = try HTTPClientURL(parsing: url)
        self.init(
            method: method, scheme: parts.scheme, host: parts.host, port: parts.port, pathAndQuery: parts.pathAndQuery,
            headerFields: headerFields, body: body)
    }

    /// GET, HEAD, OPTIONS, TRACE, PUT and DELETE (RFC 9110 §9.2.2), and the WebDAV methods
    /// RFC 4918 defines as safe or idempotent (PROPFIND §9.1, PROPPATCH §9.2).
    static let idempotentMethods: Set<String> = ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE", "PROPFIND", "PROPPATCH"]
}

/// The content of a request.
public enum HTTPClientRequestBody: Sendable {
    /// No content.
    case none
    /// Bytes in memory, sent with a Content-Length; replayable on a fresh connection.
    case bytes([UInt8])
    /// Bytes produced by `producer`, which writes them through the writer it is given; each
    /// `write` suspends while the socket is behind (back-pressure). With a `length`, a
    /// Content-Length is sent and exactly that many bytes must be written; without one the body
    /// is chunked (RFC 9112 §7.1). The producer is called at most once: a stream is never
    /// re-sent, not even on a stale connection.
    case stream(length: Int64?, producer: @Sendable (HTTPClientBodyWriter) async throws -> Void)

    /// The length when known before sending.
    var knownLength: Int64? {
        switch self {
        case .none: 0
        case .bytes(let bytes): Int64(bytes.count)
        case .stream(let length, _): length
        }
    }
}
