import CoffreProtocol
import SQLiteStore

/// The one error type of the sync engine. Messages name limits and fields, never ids, names,
/// records or other user content. Commit conflicts are not errors: `SyncStore.commit` returns
/// them as `CommitOutcome.rejected`.
public enum SyncError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The vault does not exist or the caller is not a member; the two are never told apart,
    /// so a non-member cannot learn whether a vault exists (404).
    case vaultNotFound
    /// The caller is a member whose role does not allow the operation (403).
    case forbidden(required: VaultRole)
    /// The request breaks a rule or a limit before any state is looked at (400).
    case invalidRequest(String)
    /// The operation conflicts with the vault's state: a vault id already taken, a key
    /// generation that moved on, the last owner leaving (409).
    case stateConflict(String)
    /// The user or member named in the request does not exist (404).
    case memberNotFound
    /// The entry does not exist in the vault (404).
    case entryNotFound
    /// A commit id was reused with different changes (409).
    case commitIDReused
    /// The feed cursor is older than the retained history: tombstones after it were purged,
    /// so the client must resync in full (410). `oldestCursor` is the smallest cursor accepted.
    case cursorGone(oldestCursor: Int64)
    /// The feed cursor is ahead of the vault's `seq`: the server lost commits the client saw
    /// (restored from an old backup?) or the cursor is made up (409).
    case cursorAhead(currentSeq: Int64)
    /// Too many long-poll waiters already (503).
    case tooManyWaiters
    /// The long-poll wait was cancelled.
    case cancelled
    /// The database failed; the SQLite error carries no bound values.
    case database(SQLiteError)
    /// Something failed inside the server: a stored value the schema forbids (an edited or
    /// damaged file), or a digest that could not be computed (500).
    case internalFailure(String)

    /// A message for logs and error bodies, without ids or content.
    public var description: String {
        switch self {
        case .vaultNotFound: return "vault not found"
        case .forbidden(let role): return "this needs the \(role.rawValue) role"
        case .invalidRequest(let reason): return "invalid request: \(reason)"
        case .stateConflict(let reason): return "conflict: \(reason)"
        case .memberNotFound: return "member not found"
        case .entryNotFound: return "entry not found"
        case .commitIDReused: return "the commit id was already used for other changes"
        case .cursorGone(let oldest): return "cursor too old; the oldest cursor still served is \(oldest)"
        case .cursorAhead(let seq): return "cursor is ahead of the vault, whose seq is \(seq)"
        case .tooManyWaiters: return "too many clients are waiting for changes"
        case .cancelled: return "cancelled"
        case .database(let error): return "database: \(error)"
        case .internalFailure(let reason): return "internal failure: \(reason)"
        }
    }

    /// Maps any error thrown around a database call to a `SyncError`.
    static func from(_ error: any Error) -> SyncError {
        switch error {
        case let error as SyncError: return error
        case let error as SQLiteError: return .database(error)
        case is CancellationError: return .cancelled
        default: return .internalFailure(String(describing: type(of: error)))
        }
    }
}
