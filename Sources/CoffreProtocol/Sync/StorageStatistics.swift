/// Storage figures of the blob store and the sync engine: the `sync` section of the admin
/// `stats` (`ServerStats.sync`). Sizes are padded ciphertext, never plaintext.
public struct StorageStatistics: Sendable, Codable, Equatable {
    /// Every vault together.
    public var total: VaultStorageFigures
    /// Vaults.
    public var vaults: Int64
    /// Long-poll requests waiting right now.
    public var longPollWaiters: Int
    /// The largest vaults by physical bytes, at most `StorageStatistics.maximumVaultDetails`.
    public var largestVaults: [VaultStorage]
    /// Vaults not listed in `largestVaults`.
    public var vaultsNotListed: Int64

    /// Most vaults listed one by one.
    public static let maximumVaultDetails = 100

    /// Figures as given.
    public init(
        total: VaultStorageFigures, vaults: Int64, longPollWaiters: Int, largestVaults: [VaultStorage],
        vaultsNotListed: Int64
    ) {
        self.total = total
        self.vaults = vaults
        self.longPollWaiters = longPollWaiters
        self.largestVaults = largestVaults
        self.vaultsNotListed = vaultsNotListed
    }
}

/// One vault's storage figures.
public struct VaultStorage: Sendable, Codable, Equatable {
    /// The vault (opaque; the name is encrypted).
    public var vaultId: VaultID
    /// Its figures.
    public var figures: VaultStorageFigures

    /// One vault's figures.
    public init(vaultId: VaultID, figures: VaultStorageFigures) {
        self.vaultId = vaultId
        self.figures = figures
    }
}

/// Entry, revision and blob counts and sizes of one vault or of all of them.
public struct VaultStorageFigures: Sendable, Codable, Equatable {
    /// Entries whose current state is live.
    public var liveEntries: Int64
    /// Entries in the trash.
    public var deletedEntries: Int64
    /// Revisions retained, current states included.
    public var revisions: Int64
    /// Blobs stored.
    public var blobs: Int64
    /// Bytes on disk: every stored blob once, history included.
    public var physicalBytes: Int64
    /// Bytes the live entries' current states reference, each reference counted: what the
    /// files would take without deduplication.
    public var logicalBytes: Int64
    /// `logicalBytes / physicalBytes`; nil when nothing is stored.
    public var dedupRatio: Double?

    /// Figures as given; the ratio is computed.
    public init(
        liveEntries: Int64, deletedEntries: Int64, revisions: Int64, blobs: Int64, physicalBytes: Int64,
        logicalBytes: Int64
    ) {
        self.liveEntries = liveEntries
        self.deletedEntries = deletedEntries
        self.revisions = revisions
        self.blobs = blobs
        self.physicalBytes = physicalBytes
        self.logicalBytes = logicalBytes
        self.dedupRatio = physicalBytes > 0 ? Double(logicalBytes) / Double(physicalBytes) : nil
    }
}
