import CoffreProtocol

/// Everything the vault and sync commands (`coffre vault …`, `coffre sync`, `status`,
/// `history`, `restore`, `trash`) fail with on their own account, each with one line for
/// people and an exit status for scripts (docs/cli.md, "Exit status"). Messages never hold a
/// key, a token, a vault name or a file name: they can end up in a service's log.
public enum VaultError: Error, CustomStringConvertible {
    /// The account layer failed (not signed in, wrong password, unusable state file).
    case account(AccountError)
    /// A sync route failed; `operation` names the step.
    case api(operation: String, APIClientError)
    /// No vault of this account has that name.
    case unknownVault
    /// The vault a folder synced is gone, or no longer shared with this account.
    case vaultGone
    /// `count` vaults have that name: ask for one by id.
    case ambiguousName(count: Int)
    /// A vault of that name exists already (`vault create`).
    case nameTaken
    /// The name is not usable as a vault name.
    case invalidName(String)
    /// Only an owner may do this.
    case notOwner
    /// The user is not a member of the vault.
    case notAMember
    /// No registered user has that name.
    case unknownUser
    /// The server gave a user key other than the one pinned on first use: someone (the server)
    /// is trying to slip in a key it holds.
    case memberKeyChanged(userID: Int64)
    /// A key grant is not signed by this account or a pinned member key, or does not open.
    case grantRefused(String)
    /// A path is not inside a folder this `COFFRE_HOME` syncs.
    case notInSyncedFolder
    /// The folder already syncs another vault.
    case folderSyncsAnotherVault
    /// The folder is inside a synced folder, or holds one: its files would be synced twice.
    case nestedSyncFolder
    /// The sync engine failed.
    case sync(SyncClientError)
    /// A sync pass ended with the folder and the vault not identical; `reason` says why.
    case notIdentical(reason: String)

    public var description: String {
        switch self {
        case .account(let error): return error.description
        case .api(let operation, let error): return Self.explain(error, operation: operation)
        case .unknownVault: return "no vault of yours has that name (see coffre vault list)"
        case .vaultGone: return "the vault this folder syncs was deleted, or you are no longer a member of it"
        case .ambiguousName(let count): return "\(count) of your vaults have that name; use the vault id from coffre vault list"
        case .nameTaken: return "you already have a vault of that name"
        case .invalidName(let reason): return "not a usable vault name: \(reason)"
        case .notOwner: return "only an owner of the vault may do that"
        case .notAMember: return "that user is not a member of the vault"
        case .unknownUser: return "no registered user has that name"
        case .memberKeyChanged(let user):
            return "the server now gives other public keys for user \(user) than the ones pinned on first use; refusing them (if that user really reset their account, remove their entry from member-keys.json)"
        case .grantRefused(let reason): return "a vault key grant was refused: \(reason)"
        case .notInSyncedFolder: return "that path is not inside a folder synced from this COFFRE_HOME (see coffre status)"
        case .folderSyncsAnotherVault: return "that folder already syncs another vault"
        case .nestedSyncFolder: return "that folder is inside another synced folder, or holds one; sync folders cannot nest"
        case .sync(let error): return Self.explain(error)
        case .notIdentical(let reason): return "the folder and the vault are not identical: \(reason)"
        }
    }

    /// The exit status a command ends with after this error.
    public var exitStatus: ExitStatus {
        switch self {
        case .account(let error): return error.exitStatus
        case .api(_, let error): return ExitStatus(for: error)
        case .unknownVault, .ambiguousName, .invalidName: return .usage
        case .nameTaken, .notOwner, .notAMember, .vaultGone, .unknownUser: return .refused
        case .memberKeyChanged, .grantRefused: return .untrustedServer
        case .notInSyncedFolder, .folderSyncsAnotherVault, .nestedSyncFolder: return .localState
        case .sync(let error): return Self.status(of: error)
        case .notIdentical: return .incomplete
        }
    }

    /// The API error inside a sync engine error, if the server's answer is what failed.
    static func apiError(in error: SyncClientError) -> APIClientError? {
        if case .remote(_, let underlying) = error {
            if let api = underlying as? APIClientError { return api }
            if let inner = underlying as? SyncClientError { return apiError(in: inner) }
        }
        return nil
    }

    private static func status(of error: SyncClientError) -> ExitStatus {
        if let api = apiError(in: error) { return ExitStatus(for: api) }
        switch error {
        case .folderBusy, .indexBelongsToAnotherVault, .index, .localFileSystem: return .localState
        case .protocolViolation, .feedWentBack, .missingVaultKey: return .untrustedServer
        case .noSuchEntry, .noSuchRevision, .restoreDestinationUnavailable: return .usage
        default: return .refused
        }
    }

    /// The sync engine's error in words a person can act on.
    private static func explain(_ error: SyncClientError) -> String {
        if let api = apiError(in: error) { return explain(api, operation: nil) }
        switch error {
        case .folderBusy: return "this folder is already being synced by another coffre sync (or coffre history/restore/trash); stop it first"
        case .indexBelongsToAnotherVault: return "this folder already syncs another vault"
        case .readOnlyVault: return "you may only read this vault: local changes stay on this device"
        default: return error.description
        }
    }

    /// An API error in words a person can act on: offline, signed out, quota full.
    private static func explain(_ error: APIClientError, operation: String?) -> String {
        let step = operation.map { " (\($0))" } ?? ""
        switch error {
        case .unreachable(let server, _):
            return "the server \(server) cannot be reached\(step); nothing was lost: try again when it is back"
        case .server(_, let code, let message, _):
            switch code {
            case .unauthenticated: return "this device was signed out; run coffre login"
            case .quotaExceeded: return "your storage quota is full\(step): delete files (and empty the history with your administrator) or ask for more space"
            case .insufficientStorage: return "the server's disk is full\(step); tell its administrator"
            case .notFound where operation != nil: return "not found\(step): the vault was deleted, or you are no longer a member"
            case .notFound: return "the vault was not found: it was deleted, or you are no longer a member"
            case .forbidden: return "not allowed\(step): \(TerminalText.sanitized(message))"
            default: return error.description
            }
        default: return error.description
        }
    }
}
