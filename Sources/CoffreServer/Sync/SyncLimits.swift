/// Bounds on what one request may ask of the sync engine. Every byte and count from the network
/// is checked against these before the database is touched; docs/sync-engine.md, "Limits",
/// lists them with their reasons.
public struct SyncLimits: Sendable, Equatable {
    /// Entry changes in one commit. Throughput is measured in batches of 1,000.
    public var maxEntriesPerCommit = 10_000
    /// Bytes of one encrypted entry record: the format's largest is 1 + 12 + 9,728 + 16 = 9,757
    /// bytes (docs/format.md, "Record plaintext"), so 16 KiB leaves room and refuses abuse.
    public var maxRecordBytes = 16 * 1024
    /// Blob references of one entry: 65,536 chunks of 1 MiB on average is a 64 GiB file.
    public var maxBlobsPerEntry = 65_536
    /// Blob references of one commit, all entries together.
    public var maxBlobsPerCommit = 200_000
    /// Ids in one "which blobs are missing" query.
    public var maxMissingQueryIDs = 10_000
    /// Entry states in one changes page when the client asks for no limit or a larger one
    /// (a page may still exceed it by holding one whole commit).
    public var maxFeedPageEntries = 5_000
    /// Revisions or trash entries in one page.
    public var maxHistoryPageEntries = 1_000
    /// Bytes of an encrypted vault name.
    public var maxVaultNameBytes = 4 * 1024
    /// Bytes of one wrapped vault key; a grant is 229 bytes (docs/format.md, "Vault key grants").
    public var maxWrappedKeyBytes = 1024
    /// Members of one vault.
    public var maxMembersPerVault = 1_000
    /// Commit ids remembered per vault for idempotent retries: the ids of at least the last
    /// this-many commits are kept, and older ones are forgotten in batches of a tenth of it
    /// (`SyncStore.forgetsCommitIDs`); they also go after `commitIDRetentionSeconds`.
    public var rememberedCommitsPerVault: Int64 = 10_000
    /// How long a commit id is remembered at most, in seconds.
    public var commitIDRetentionSeconds: Int64 = 7 * 24 * 3600
    /// Long-poll waiters across all vaults.
    public var maxWaiters = 10_000
    /// Longest long-poll wait, in seconds; longer requests are shortened to this.
    public var maxWaitSeconds = 300.0

    /// The default limits.
    public init() {}
}
