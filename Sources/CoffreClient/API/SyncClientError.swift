import CoffreProtocol

/// What can go wrong between `SyncAPIClient` and `coffred`: no exchange at all, a refusal with
/// the server's stable error code, or an answer the client cannot read. Texts quote no token,
/// key or content, and only a bounded copy of the server's message.
public enum SyncClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The request could not be carried out: no connection, TLS, a timeout, a reset; `reason`
    /// is the HTTP client's fixed text.
    case transport(reason: String)
    /// The server answered with an error body (docs/protocol.md, "Errors").
    case server(status: Int, code: ErrorCode, message: String, retryAfterSeconds: Int?)
    /// The answer is not what the route promises.
    case badResponse(status: Int, reason: String)

    /// The server's error code, for `.server`.
    public var code: ErrorCode? {
        if case .server(_, let code, _, _) = self { return code }
        return nil
    }

    /// The HTTP status, for `.server` and `.badResponse`.
    public var status: Int? {
        switch self {
        case .server(let status, _, _, _), .badResponse(let status, _): return status
        case .transport: return nil
        }
    }

    public var description: String {
        switch self {
        case .transport(let reason): return "the request to the server failed: \(reason)"
        case .server(let status, let code, let message, _): return "the server refused the request (\(status) \(code)): \(message)"
        case .badResponse(let status, let reason): return "unexpected answer from the server (HTTP \(status)): \(reason)"
        }
    }

    /// Longest server message kept.
    static let maximumMessageLength = 300

    /// The server's message without control characters, at most `maximumMessageLength`
    /// characters: a hostile server must not write escape sequences to a terminal.
    static func sanitized(_ message: String) -> String {
        String(String.UnicodeScalarView(message.unicodeScalars.filter { !$0.properties.isDefaultIgnorableCodePoint && $0.value >= 0x20 && $0.value != 0x7F }).prefix(maximumMessageLength))
    }
}
