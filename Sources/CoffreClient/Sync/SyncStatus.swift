import Foundation

/// What `coffre status` shows about one synced folder.
public struct SyncStatus: Sendable, Equatable {
    /// What the engine is doing.
    public enum State: Sendable, Equatable {
        /// No pass running; the last one (if any) ended without error.
        case idle
        /// A pass is running.
        case syncing
        /// The last pass failed with this message.
        case failed(String)
    }

    public var state: State
    /// When a pass last ended with the folder and the vault identical.
    public var lastSync: Date?
    /// Commits written down and not yet answered (a crash or a lost connection).
    public var pendingCommits: Int
    /// Remote changes known and not yet applied here.
    public var remoteChangesWaiting: Int
    /// Entries (files, folders, symlinks) synced.
    public var syncedEntries: Int
    /// The last pass's report, if a pass ran since the engine started.
    public var lastReport: SyncReport?

    /// One status.
    public init(
        state: State, lastSync: Date?, pendingCommits: Int, remoteChangesWaiting: Int, syncedEntries: Int,
        lastReport: SyncReport?
    ) {
        self.state = state
        self.lastSync = lastSync
        self.pendingCommits = pendingCommits
        self.remoteChangesWaiting = remoteChangesWaiting
        self.syncedEntries = syncedEntries
        self.lastReport = lastReport
    }
}
