/// Something a pass left out, and why; shown to the user (`SyncReport.skipped`).
public struct SyncSkip: Sendable, Equatable {
    /// Why.
    public enum Reason: Sendable, Equatable {
        /// The file cannot be read (open(2) failed with this errno, EACCES for permissions):
        /// it is not uploaded, and not deleted remotely either.
        case unreadable(errno: Int32)
        /// The file kept changing while it was read; it is retried on the next pass.
        case changedWhileReading
        /// The scan could not tell this path's state (`SkipReason.stateIsUnknown`): nothing
        /// below it is taken as deleted.
        case stateUnknown(SkipReason)
        /// A remote entry's name cannot be a file name here (over 255 bytes, or a name the
        /// sync reserves).
        case nameNotUsable
        /// A remote entry's record could not be opened with the vault keys (altered, or a key
        /// this account lacks).
        case recordUnreadable
        /// Another local entry in the same folder has the same name once normalized (NFC):
        /// only one of them can be synced.
        case nameCollision
        /// The folder a remote entry belongs in is not synced here (ignored, skipped).
        case parentUnavailable
        /// A download failed verification or could not be written; `detail` says which step.
        case transferFailed(detail: String)
        /// A change to the folder (create, move, remove, chmod) failed; `detail` says which.
        case localChangeFailed(detail: String)
        /// The server kept refusing the change; it is retried on the next pass.
        case refusedByServer
        /// The vault is read-only for this account: local changes stay local.
        case readOnlyVault
    }

    /// The path relative to the sync folder (as on disk, or the remote path for remote entries).
    public let path: String
    /// Why it was left out.
    public let reason: Reason

    /// One skipped item.
    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }
}
