// Standard library only: this file is compiled into the parser fuzz targets as well (Fuzz/).

/// How the length of a response body is determined (RFC 9112 §6.3).
enum HTTPResponseBodyFraming: Equatable, Sendable {
    /// No content: a response to HEAD, a 1xx, 204 or 304 (RFC 9112 §6.3 rules 1).
    case none
    /// Exactly this many bytes follow the head (RFC 9112 §6.3 rule 6).
    case contentLength(Int64)
    /// The chunked transfer coding delimits the body (RFC 9112 §7.1).
    case chunked
    /// Neither length nor chunked: the body ends when the server closes the connection
    /// (RFC 9112 §6.3 rule 8).
    case untilClose
}

/// A validated response head: status line, header lines and what the parser derived from the
/// fields that govern framing and persistence.
struct HTTPResponseHead: Equatable, Sendable {
    /// The minor HTTP version: 0 or 1 (a higher 1.x is treated as 1.1, RFC 9110 §2.5).
    var minorVersion: Int
    /// The three-digit status code, 100...599 (RFC 9110 §15).
    var statusCode: Int
    /// The reason phrase as sent (possibly empty); clients ignore its content (RFC 9112 §4).
    var reasonPhrase: String
    /// The header lines in the order received.
    var headers: [HTTPHeaderLine]
    /// The framing the fields announce, for a response that has content.
    var framing: HTTPResponseBodyFraming
    /// `Connection: close` was sent (RFC 9112 §9.6).
    var connectionClose: Bool

    /// An interim (1xx) response, followed by another response to the same request
    /// (RFC 9110 §15.2).
    var isInterim: Bool { statusCode < 200 }

    /// The framing of this response's body: none for a response to HEAD and for 1xx, 204 and
    /// 304, whatever the fields say (RFC 9112 §6.3 rule 1, RFC 9110 §9.3.2 and §15.4.5).
    func bodyFraming(requestWasHEAD: Bool) -> HTTPResponseBodyFraming {
        if requestWasHEAD || statusCode < 200 || statusCode == 204 || statusCode == 304 { return .none }
        return framing
    }

    /// Whether the connection may carry another request after this response: HTTP/1.1
    /// without `Connection: close` (RFC 9112 §9.3), and a body whose end is known without
    /// closing the connection (RFC 9112 §6.3 rule 8).
    func allowsReuse(requestWasHEAD: Bool) -> Bool {
        guard minorVersion >= 1, !connectionClose else { return false }
        return bodyFraming(requestWasHEAD: requestWasHEAD) != .untilClose
    }
}
