/// Sync history retention (`sync.*`); see docs/sync-engine.md, "History, trash and retention".
public struct SyncSettings: Sendable, Equatable {
    /// Days a superseded revision or a deleted entry is kept (`sync.retentionDays`).
    public var retentionDays = 30
    /// Revisions kept per entry however old, the current one included (`sync.retentionMinRevisions`).
    public var retentionMinRevisions = 10

    /// The defaults.
    public init() {}

    func validate() throws(ConfigurationError) {
        guard (1...36_500).contains(retentionDays) else {
            throw .invalid(key: "sync.retentionDays", reason: "must be 1 to 36500")
        }
        guard (1...1_000_000).contains(retentionMinRevisions) else {
            throw .invalid(key: "sync.retentionMinRevisions", reason: "must be 1 to 1000000")
        }
    }
}
