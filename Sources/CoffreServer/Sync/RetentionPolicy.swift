/// How long a vault keeps history and trash (DESIGN §7): a revision stays while it is among
/// the newest `minRevisions` of its entry or stopped being current less than `days` ago; an
/// entry in the trash is purged `days` after its deletion.
public struct RetentionPolicy: Sendable, Equatable {
    /// Days a superseded revision or a deleted entry is kept (`sync.retentionDays`).
    public var days: Int
    /// Revisions kept per entry however old (`sync.retentionMinRevisions`), at least 1 (the
    /// current state).
    public var minRevisions: Int

    /// A policy; the defaults are those of `SyncSettings`.
    public init(days: Int = 30, minRevisions: Int = 10) {
        self.days = days
        self.minRevisions = minRevisions
    }

    /// The policy the server configuration names.
    public init(_ settings: SyncSettings) {
        self.init(days: settings.retentionDays, minRevisions: settings.retentionMinRevisions)
    }

    /// Revisions superseded, and tombstones written, before this time (seconds since the Unix
    /// epoch) are past the retention period.
    func cutoff(now: Int64) -> Int64 {
        now - Int64(max(0, days)) * 86_400
    }
}
