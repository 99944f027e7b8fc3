import CoffreProtocol

/// Everything that can go wrong between the client and `coffred`: the server cannot be
/// reached, TLS fails, the server says no (with its stable `ErrorCode`), or its answer cannot
/// be read. `description` is one clear line for people; it quotes no token, key or password
/// and only a sanitized, bounded copy of the server's own message.
public enum APIClientError: Error, Equatable, CustomStringConvertible {
    /// The server URL is not usable; `reason` says which rule it breaks.
    case invalidServerURL(reason: String)
    /// No connection: refused, name not resolved, timed out, reset.
    case unreachable(server: String, reason: String)
    /// The TLS handshake failed or the server's certificate was rejected (not the pinned one,
    /// unknown CA, wrong name).
    case tls(server: String, reason: String)
    /// The server answered with an error body (docs/protocol.md, "Errors").
    case server(status: Int, code: ErrorCode, message: String, retryAfterSeconds: Int?)
    /// The answer is not what the route promises (not JSON, missing fields, unexpected status).
    case badResponse(status: Int, reason: String)

    /// The server's error code, for `.server`.
    public var code: ErrorCode? {
        if case .server(_, let code, _, _) = self { return code }
        return nil
    }

    /// For a throttled attempt, how long to wait.
    public var retryAfterSeconds: Int? {
        if case .server(_, .throttled, _, let seconds) = self { return seconds }
        return nil
    }

    public var description: String {
        switch self {
        case .invalidServerURL(let reason):
            return "invalid server URL: \(reason)"
        case .unreachable(let server, let reason):
            return "cannot reach the server at \(server): \(reason) (is coffred running, and is the address right?)"
        case .tls(let server, let reason):
            return "TLS with \(server) failed: \(reason)"
        case .server(let status, let code, let message, let retryAfter):
            return Self.explain(status: status, code: code, message: message, retryAfterSeconds: retryAfter)
        case .badResponse(let status, let reason):
            return "the server sent an answer this client does not understand (HTTP \(status)): \(reason)"
        }
    }

    /// The sentence for a server refusal: ours for the codes people meet, else the server's
    /// message (sanitized) with its code.
    static func explain(status: Int, code: ErrorCode, message: String, retryAfterSeconds: Int?) -> String {
        switch code {
        case .invalidCredentials: return "wrong user name or password"
        case .throttled:
            let wait = retryAfterSeconds.map { "wait \(DisplayFormat.duration(seconds: Int64($0))) and try again" } ?? "wait and try again"
            return "too many failed attempts: \(wait)"
        case .unauthenticated: return "the server refused the token: it was revoked, or it is unknown"
        case .forbidden: return "this token is not allowed to do that (\(TerminalText.sanitized(message, limit: 200)))"
        case .accountDisabled: return "the account is disabled; ask the server's administrator"
        case .invalidInvite: return "the invite code is not valid: unknown, already used, replaced by a newer one, or for another user"
        case .inviteExpired: return "the invite code has expired; ask the administrator for a new one (coffre-admin user invite NAME)"
        case .alreadyRegistered: return "this account is already set up; use coffre login"
        case .userExists: return "a user with this name already exists"
        case .notFound: return "not found: \(TerminalText.sanitized(message, limit: 200))"
        case .scopeNotAllowed: return "the admin scope is only for users flagged as administrators"
        case .tooManyDevices: return "too many devices (or admin tokens); revoke unused ones first"
        case .quotaExceeded: return "the storage quota is exceeded"
        case .internalError: return "the server failed (HTTP \(status)); its log has the details"
        default: return "the server refused the request: \(TerminalText.sanitized(message, limit: 200)) (\(TerminalText.sanitized(code.rawValue, limit: 64)))"
        }
    }
}
