/// What a pruning pass did.
public struct PruneReport: Sendable, Equatable {
    /// Revisions deleted (of purged entries and superseded ones).
    public var revisionsDeleted = 0
    /// Entries purged from the trash.
    public var entriesPurged = 0
    /// Remembered commit ids forgotten.
    public var commitIDsForgotten = 0
    /// Blobs no retained revision references any more; GC deletes them after the grace period.
    public var unreferencedBlobs: [VaultBlob] = []
    /// False when the batch limit stopped the pass early: call again.
    public var finished = false

    /// An empty report.
    public init() {}

    mutating func add(_ other: PruneReport) {
        revisionsDeleted += other.revisionsDeleted
        entriesPurged += other.entriesPurged
        commitIDsForgotten += other.commitIDsForgotten
        unreferencedBlobs += other.unreferencedBlobs
    }
}
