import CoffreProtocol
import Glibc

/// Everything the client's account commands (`coffre account setup`, `login`, `whoami`, …,
/// and `coffre-admin`) can fail with, each with one clear line for people (`description`)
/// and an exit status for scripts (`exitStatus`). Messages never hold a password, key, token
/// or invite code.
public enum AccountError: Error, Equatable, CustomStringConvertible {
    /// The API call failed (unreachable, TLS, refused, unreadable answer).
    case api(APIClientError)
    /// A command-line value is not acceptable; `reason` names the option and the rule.
    case invalidArgument(String)
    /// No account state in this `COFFRE_HOME`.
    case notSignedIn(home: String)
    /// This `COFFRE_HOME` already holds an account; `detail` says which.
    case alreadySignedIn(detail: String)
    /// The device's token was revoked (by the user, an administrator or a password change).
    case signedOut
    /// The server refused the admin token (`coffre-admin`).
    case adminTokenRefused
    /// The server refused the password (login or password change).
    case wrongPassword
    /// Too many failed attempts: wait this long.
    case throttled(retryAfterSeconds: Int?)
    /// The server's KDF parameters are weaker than this client accepts: a downgrade attempt,
    /// or a test account used without `--kdf-cost test`.
    case kdfDowngrade(reason: String)
    /// The key material the server returned does not open or does not match (tampering).
    case keysRejected(reason: String)
    /// The state file or folder cannot be used: unreadable, wrong owner or mode, corrupted.
    case stateUnusable(path: String, reason: String)
    /// A system call on a local file failed.
    case system(operation: String, path: String, code: Int32)
    /// The password could not be read, or is not acceptable.
    case password(String)
    /// A crypto primitive failed locally (random numbers, key generation).
    case crypto(String)

    public var description: String {
        switch self {
        case .api(let error): return error.description
        case .invalidArgument(let reason): return reason
        case .notSignedIn(let home):
            return "not signed in (no account in \(home)); run coffre account setup or coffre login"
        case .alreadySignedIn(let detail):
            return "this COFFRE_HOME is already signed in (\(detail)); run coffre logout first, or set COFFRE_HOME to another folder for another device"
        case .signedOut: return "this device was signed out; run coffre login"
        case .adminTokenRefused: return "the admin token was refused: it is revoked, unknown or mistyped"
        case .wrongPassword: return "wrong user name or password"
        case .throttled(let seconds):
            let wait = seconds.map { "wait \(DisplayFormat.duration(seconds: Int64($0)))" } ?? "wait a while"
            return "too many failed attempts: \(wait) and try again"
        case .kdfDowngrade(let reason):
            return "refusing the server's password-hashing parameters (\(reason)): a server must not weaken them; for a test account pass --kdf-cost test"
        case .keysRejected(let reason):
            return "the account keys the server returned were refused (\(reason)); nothing was stored"
        case .stateUnusable(let path, let reason): return "\(path): \(reason)"
        case .system(let operation, let path, let code):
            return "\(operation) \(path): \(String(cString: strerror(code)))"
        case .password(let reason): return reason
        case .crypto(let reason): return "local cryptography failed: \(reason)"
        }
    }

    /// The exit status a command ends with after this error (docs/cli.md, "Exit status").
    public var exitStatus: ExitStatus {
        switch self {
        case .api(let error): return ExitStatus(for: error)
        case .invalidArgument, .password: return .usage
        case .notSignedIn, .alreadySignedIn, .stateUnusable, .system, .crypto: return .localState
        case .signedOut, .adminTokenRefused, .wrongPassword: return .authentication
        case .throttled: return .throttled
        case .kdfDowngrade, .keysRejected: return .untrustedServer
        }
    }

    /// The account-level meaning of an API error for a device's own requests: a revoked token
    /// is "signed out", refused credentials a wrong password, a 429 a wait.
    static func fromDeviceCall(_ error: APIClientError) -> AccountError {
        switch error.code {
        case .unauthenticated?: return .signedOut
        case .invalidCredentials?: return .wrongPassword
        case .throttled?: return .throttled(retryAfterSeconds: error.retryAfterSeconds)
        default: return .api(error)
        }
    }
}
