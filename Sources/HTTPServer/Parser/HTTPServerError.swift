// Standard library only: this file is compiled into the parser fuzz target as well (Fuzz/).

/// Every error the HTTP server module reports: protocol violations by a client (each mapped to
/// the status code it answers), body stream failures, and system call failures.
///
/// The text never holds request content, header values or secrets: only fixed descriptions,
/// the name of a failed system call and the system's error text.
public enum HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request is malformed (400). `reason` is a fixed description of the rule broken.
    case badRequest(reason: String)
    /// The request head is larger than `HTTPLimits.maxRequestHeadBytes` (431).
    case requestHeadTooLarge
    /// The request has more header lines than `HTTPLimits.maxHeaderCount` (431).
    case tooManyHeaderFields
    /// The request target is longer than `HTTPLimits.maxURILength` (414).
    case uriTooLong
    /// The request body is larger than the route allows (413).
    case contentTooLarge(limit: Int64)
    /// The request uses a transfer coding other than a final `chunked` (501).
    case unsupportedTransferCoding
    /// The request's HTTP major version is not 1 (505).
    case unsupportedVersion
    /// The request's `Expect` field holds something other than `100-continue` (417).
    case expectationFailed
    /// The request head did not arrive within `HTTPLimits.headerReadTimeout` (408).
    case headerReadTimeout
    /// No request body bytes arrived within `HTTPLimits.bodyReadIdleTimeout` (408).
    case bodyReadTimeout
    /// The client closed the connection before the whole request body arrived.
    case bodyTruncated
    /// The connection is gone: a response or body write can no longer be delivered.
    case connectionClosed
    /// A system call failed; `message` is the system's text for `code` (strerror).
    case system(call: String, code: Int32, message: String)
    /// The byte stream under the connection (socket or TLS) failed.
    case transport(String)
    /// The server configuration cannot be used.
    case invalidConfiguration(String)
    /// `start()` was called twice, or an operation needs a started server.
    case invalidState(String)

    /// The status code the server answers for a client error, or nil for other failures.
    public var statusCode: Int? {
        switch self {
        case .badRequest: 400
        case .requestHeadTooLarge, .tooManyHeaderFields: 431
        case .uriTooLong: 414
        case .contentTooLarge: 413
        case .unsupportedTransferCoding: 501
        case .unsupportedVersion: 505
        case .expectationFailed: 417
        case .headerReadTimeout, .bodyReadTimeout: 408
        case .bodyTruncated, .connectionClosed, .system, .transport, .invalidConfiguration, .invalidState:
            nil
        }
    }

    /// A fixed description, safe to log.
    public var description: String {
        switch self {
        case .badRequest(let reason): "bad request: \(reason)"
        case .requestHeadTooLarge: "request head too large"
        case .tooManyHeaderFields: "too many header fields"
        case .uriTooLong: "request target too long"
        case .contentTooLarge(let limit): "request body larger than \(limit) bytes"
        case .unsupportedTransferCoding: "unsupported transfer coding"
        case .unsupportedVersion: "unsupported HTTP version"
        case .expectationFailed: "unsupported expectation"
        case .headerReadTimeout: "request head not received in time"
        case .bodyReadTimeout: "request body stalled"
        case .bodyTruncated: "request body truncated: the client closed the connection"
        case .connectionClosed: "connection closed"
        case .system(let call, let code, let message): "\(call) failed: \(message) (errno \(code))"
        case .transport(let text): "transport failed: \(text)"
        case .invalidConfiguration(let text): "invalid configuration: \(text)"
        case .invalidState(let text): "invalid state: \(text)"
        }
    }
}
