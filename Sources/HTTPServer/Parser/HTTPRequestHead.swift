// Standard library only: this file is compiled into the parser fuzz target as well (Fuzz/).

/// How the length of a request body is determined (RFC 9112 §6.3).
enum HTTPRequestBodyFraming: Equatable, Sendable {
    /// No body: neither Content-Length nor Transfer-Encoding (RFC 9112 §6.3 rule 7).
    case none
    /// Exactly this many bytes follow the head (RFC 9112 §6.3 rule 6).
    case contentLength(Int64)
    /// The chunked transfer coding delimits the body (RFC 9112 §7.1).
    case chunked
}

/// One header line as received: the name as sent (case kept) and the value with surrounding
/// whitespace removed (RFC 9112 §5.1).
struct HTTPHeaderLine: Equatable, Sendable {
    var name: String
    var value: String
}

/// A validated request head: request line, header lines and what the parser derived from the
/// fields that govern framing and connection handling.
struct HTTPRequestHead: Equatable, Sendable {
    /// The method token, case-sensitive (RFC 9110 §9.1).
    var method: String
    /// The request target exactly as received (RFC 9112 §3.2).
    var target: String
    /// The path of the target, still percent-encoded, without query (origin or absolute form);
    /// `"*"` for the asterisk form.
    var path: String
    /// The query after `?`, still percent-encoded, or nil when the target has none.
    var query: String?
    /// The minor HTTP version: 0 or 1 (a higher 1.x is treated as 1.1, RFC 9110 §2.5).
    var minorVersion: Int
    /// The header lines in the order received.
    var headers: [HTTPHeaderLine]
    /// How the body is framed.
    var framing: HTTPRequestBodyFraming
    /// The host the request is for: the authority of an absolute-form target, which wins over
    /// the Host field (RFC 9112 §3.2.2), else the Host field value (exactly one is required
    /// for HTTP/1.1).
    var host: String?
    /// `Connection: close` was sent (RFC 9112 §9.6).
    var connectionClose: Bool
    /// `Connection: keep-alive` was sent (HTTP/1.0 opt-in, RFC 9112 §9.3).
    var connectionKeepAlive: Bool
    /// `Expect: 100-continue` was sent in an HTTP/1.1 request (RFC 9110 §10.1.1).
    var expectContinue: Bool

    /// Whether the connection may stay open after this request, before the server's own reasons
    /// (RFC 9112 §9.3: HTTP/1.1 defaults to persistent, HTTP/1.0 only with keep-alive).
    var clientAllowsKeepAlive: Bool {
        if connectionClose { return false }
        return minorVersion >= 1 || connectionKeepAlive
    }
}
