import CoffreProtocol

/// The exit statuses of `coffre` and `coffre-admin`, so scripts can tell failures apart
/// (docs/cli.md, "Exit status").
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Done.
    case success = 0
    /// The server refused the request: not found, already exists, invalid, quota…
    case refused = 1
    /// The command line is wrong: unknown option, missing argument, invalid value.
    case usage = 2
    /// The server cannot be reached (connection refused, unknown host, timeout).
    case unreachable = 3
    /// Authentication failed: wrong password, revoked or unknown token, not allowed.
    case authentication = 4
    /// Too many failed attempts: the server asks to wait.
    case throttled = 5
    /// Local state is missing or unusable (not signed in, corrupted or unsafe state file).
    case localState = 6
    /// The server is not trusted: certificate differs from the pinned one, TLS failed, or it
    /// sent weakened KDF parameters or key material that does not open.
    case untrustedServer = 7
    /// `coffre-admin fsck` found damage: blobs missing, truncated or altered, references that
    /// dangle, a damaged database.
    case damaged = 8
    /// `coffre sync --once` ended with the folder and the vault not identical: a conflict
    /// copy was made, or files were left out (unreadable, changing, refused).
    case incomplete = 9

    /// The status for an API error.
    public init(for error: APIClientError) {
        switch error {
        case .invalidServerURL: self = .usage
        case .unreachable: self = .unreachable
        case .tls: self = .untrustedServer
        case .badResponse: self = .refused
        case .server(_, let code, _, _):
            switch code {
            case .unauthenticated, .invalidCredentials, .forbidden, .accountDisabled, .scopeNotAllowed: self = .authentication
            case .throttled: self = .throttled
            default: self = .refused
            }
        }
    }

    /// The status for any error a command throws; unknown errors count as refusals.
    public init(forAny error: any Error) {
        switch error {
        case let error as AccountError: self = error.exitStatus
        case let error as APIClientError: self = ExitStatus(for: error)
        default: self = .refused
        }
    }
}
