/// Every way the sync client (`SyncEngine`, its index, planner and executor) fails on its own
/// account. Errors of the lower layers (`LocalFSError`, `PipelineError`, `CryptoFormatError`,
/// `SQLiteError`) and the remote's transport errors are wrapped with the step that failed.
/// Messages name steps, limits and counts — never paths, file names, content or keys.
public enum SyncClientError: Error, CustomStringConvertible {
    /// The local index could not be opened, read or written.
    case index(operation: String, underlying: any Error)
    /// Another engine (this process or another) holds the sync folder's lock.
    case folderBusy
    /// The index belongs to another vault than the one asked for.
    case indexBelongsToAnotherVault
    /// The remote failed (transport, server error); `operation` names the call.
    case remote(operation: String, underlying: any Error)
    /// The server answered something that breaks the protocol (a page outside its cursor
    /// range, an entry twice, an unknown commit answer); `reason` says what.
    case protocolViolation(String)
    /// The feed went back: the server's seq or a page's cursor is below the highest seq this
    /// client has seen (DESIGN §6: a server that lost or hides commits is refused).
    case feedWentBack(seen: Int64, offered: Int64)
    /// The caller holds no key for a generation the vault uses (`generation`); the grant
    /// could not be opened or is missing.
    case missingVaultKey(generation: Int64)
    /// The caller's role does not allow writing to the vault.
    case readOnlyVault
    /// A local file-system step failed on the sync folder as a whole (not one entry).
    case localFileSystem(operation: String, underlying: LocalFSError)
    /// No entry of the vault is at this path (history and restore helpers).
    case noSuchEntry
    /// The revision asked for is not in the entry's retained history.
    case noSuchRevision
    /// The destination of a restore is not usable: its folder is not synced, or the name is taken.
    case restoreDestinationUnavailable(String)
    /// A sync pass is already running on this engine.
    case alreadyRunning
    /// A cryptographic step on the engine's own data failed (sealing a record, a name tag).
    case crypto(operation: String, underlying: CryptoFormatError)

    public var description: String {
        switch self {
        case .index(let operation, let underlying): return "local index: \(operation) failed: \(underlying)"
        case .folderBusy: return "the sync folder is in use by another sync"
        case .indexBelongsToAnotherVault: return "the sync folder's index belongs to another vault"
        case .remote(let operation, let underlying): return "server: \(operation) failed: \(underlying)"
        case .protocolViolation(let reason): return "the server broke the sync protocol: \(reason)"
        case .feedWentBack(let seen, let offered):
            return "the server's changes feed went back from seq \(seen) to \(offered); refusing it"
        case .missingVaultKey(let generation): return "no vault key for key generation \(generation)"
        case .readOnlyVault: return "this account may only read the vault"
        case .localFileSystem(let operation, let underlying): return "sync folder: \(operation) failed: \(underlying)"
        case .noSuchEntry: return "no synced entry at that path"
        case .noSuchRevision: return "that revision is not in the retained history"
        case .restoreDestinationUnavailable(let reason): return "cannot restore there: \(reason)"
        case .alreadyRunning: return "a sync pass is already running"
        case .crypto(let operation, let underlying): return "\(operation) failed: \(underlying)"
        }
    }
}
