/// Storage figures of one vault or of all vaults.
public struct SyncStatistics: Sendable, Equatable {
    /// Vaults counted.
    public var vaults: Int64 = 0
    /// Entries whose current state is live.
    public var liveEntries: Int64 = 0
    /// Entries in the trash.
    public var deletedEntries: Int64 = 0
    /// Revisions retained, current states included.
    public var revisions: Int64 = 0
    /// Blobs recorded.
    public var blobs: Int64 = 0
    /// Bytes of the blobs recorded: what the disk holds, history included.
    public var physicalBytes: Int64 = 0
    /// Bytes the live entries' current states reference, each reference counted: what the
    /// files would take without deduplication (sizes are padded ciphertext, not plaintext).
    public var logicalBytes: Int64 = 0

    /// Zero everywhere.
    public init() {}

    /// `logicalBytes / physicalBytes`: above 1 when deduplication saves space; nil when nothing
    /// is stored.
    public var dedupRatio: Double? {
        physicalBytes > 0 ? Double(logicalBytes) / Double(physicalBytes) : nil
    }
}
