// Standard library only: the response parser throws this type, and the parser files are
// compiled into the fuzz targets as well (Fuzz/).

/// Every error `HTTPClient` reports (errors thrown by a caller's own body producer propagate
/// unchanged).
///
/// Texts are fixed descriptions plus host names, limits and system or OpenSSL error texts:
/// never request or response bodies, field values, tokens or URLs' paths and queries.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL or request cannot be sent: bad scheme, host, port or target, a field that
    /// would smuggle bytes into the head, a body writer misused. `reason` is a fixed text.
    case invalidRequest(reason: String)
    /// The host name could not be resolved (getaddrinfo(3)).
    case resolutionFailed(host: String, reason: String)
    /// Every address of the host refused the connection (ECONNREFUSED).
    case connectionRefused(host: String, port: Int)
    /// TCP connect and TLS handshake did not finish within the connect timeout.
    case connectTimeout(host: String, port: Int)
    /// The TCP connection could not be made for another reason (the system's text).
    case connectFailed(host: String, port: Int, reason: String)
    /// The TLS handshake or a TLS record failed; for a rejected certificate `reason` holds the
    /// verification result (wrong pin, unknown CA, name mismatch, expired...).
    case tls(reason: String)
    /// No response byte arrived for the idle-read timeout.
    case readTimeout
    /// The request could not be written for the write timeout (the server stopped reading).
    case writeTimeout
    /// The server closed the connection before the response (or its body) was complete.
    case connectionClosed
    /// The response breaks HTTP/1.1 framing or syntax (RFC 9112); the connection is dropped.
    case malformedResponse(reason: String)
    /// The response head is larger than the configured limit.
    case responseHeadTooLarge(limit: Int)
    /// The response head has more field lines than the configured limit.
    case tooManyHeaderFields(limit: Int)
    /// `collect(upTo:)` found a body larger than its limit.
    case bodyTooLarge(limit: Int)
    /// The task was cancelled; the request's connection was closed.
    case cancelled
    /// The client was shut down.
    case shutDown
    /// A system call failed (the system's text for errno).
    case system(call: String, code: Int32, message: String)

    /// A fixed description, safe to log.
    public var description: String {
        switch self {
        case .invalidRequest(let reason): "invalid request: \(reason)"
        case .resolutionFailed(let host, let reason): "cannot resolve \(host): \(reason)"
        case .connectionRefused(let host, let port): "connection refused by \(host) port \(port)"
        case .connectTimeout(let host, let port): "connecting to \(host) port \(port) timed out"
        case .connectFailed(let host, let port, let reason): "cannot connect to \(host) port \(port): \(reason)"
        case .tls(let reason): "TLS failed: \(reason)"
        case .readTimeout: "the server sent nothing for the read timeout"
        case .writeTimeout: "the server accepted no request bytes for the write timeout"
        case .connectionClosed: "the server closed the connection before the response was complete"
        case .malformedResponse(let reason): "malformed response: \(reason)"
        case .responseHeadTooLarge(let limit): "response head larger than \(limit) bytes"
        case .tooManyHeaderFields(let limit): "response has more than \(limit) header fields"
        case .bodyTooLarge(let limit): "response body larger than \(limit) bytes"
        case .cancelled: "request cancelled"
        case .shutDown: "the HTTP client was shut down"
        case .system(let call, let code, let message): "\(call) failed: \(message) (errno \(code))"
        }
    }
}
