/// `POST /v1/admin/gc`: delete the blobs no retained revision references, recorded longer ago
/// than the grace period, and blob files or vault folders that nothing records.
public struct GarbageCollectionRequest: Sendable, Codable, Equatable {
    /// Report what would go without deleting anything.
    public var dryRun: Bool?

    /// A request; `dryRun` nil means false.
    public init(dryRun: Bool? = nil) {
        self.dryRun = dryRun
    }
}

/// What a garbage collection deleted, or would delete in a dry run.
public struct GarbageCollectionReport: Sendable, Codable, Equatable {
    /// True when nothing was deleted.
    public var dryRun: Bool
    /// The grace period applied, in seconds.
    public var graceSeconds: Int64
    /// Unreferenced blobs past the grace period: how many, and their bytes.
    public var blobs: Int64
    public var blobBytes: Int64
    /// Blob files no vault records (left by an interrupted upload), past the grace period.
    public var orphanFiles: Int64
    public var orphanFileBytes: Int64
    /// Blob folders of vaults that no longer exist (left by an interrupted vault deletion).
    public var orphanVaultFolders: Int64
    /// The first blobs counted in `blobs`, at most `maximumListed`.
    public var listedBlobs: [VaultBlobReference]

    /// Most blobs listed one by one.
    public static let maximumListed = 1_000

    /// A report as given.
    public init(
        dryRun: Bool, graceSeconds: Int64, blobs: Int64 = 0, blobBytes: Int64 = 0, orphanFiles: Int64 = 0,
        orphanFileBytes: Int64 = 0, orphanVaultFolders: Int64 = 0, listedBlobs: [VaultBlobReference] = []
    ) {
        self.dryRun = dryRun
        self.graceSeconds = graceSeconds
        self.blobs = blobs
        self.blobBytes = blobBytes
        self.orphanFiles = orphanFiles
        self.orphanFileBytes = orphanFileBytes
        self.orphanVaultFolders = orphanVaultFolders
        self.listedBlobs = listedBlobs
    }
}

/// One blob of one vault, with its size when known.
public struct VaultBlobReference: Sendable, Codable, Hashable {
    /// The vault.
    public var vaultId: VaultID
    /// The blob.
    public var blobId: BlobID
    /// Its size in bytes, when known.
    public var size: Int64?

    /// A reference as given.
    public init(vaultId: VaultID, blobId: BlobID, size: Int64? = nil) {
        self.vaultId = vaultId
        self.blobId = blobId
        self.size = size
    }
}

/// `POST /v1/admin/fsck`: check the whole store.
public struct FsckRequest: Sendable, Codable, Equatable {
    /// Re-hash every blob (the default); false checks presence and sizes only.
    public var verifyHashes: Bool?

    /// A request; `verifyHashes` nil means true.
    public init(verifyHashes: Bool? = nil) {
        self.verifyHashes = verifyHashes
    }
}

/// The verdict of a check.
public enum FsckResult: String, Sendable, Codable, CaseIterable {
    /// Nothing found.
    case clean
    /// Only leftovers garbage collection reclaims (orphan files or vault folders): no damage.
    case orphans
    /// Something is damaged or missing: `coffre-admin fsck` exits non-zero.
    case damaged
}

/// What `POST /v1/admin/fsck` found. Each list holds at most `maximumListed` items; the counts
/// are complete.
public struct FsckReport: Sendable, Codable, Equatable {
    /// The verdict.
    public var result: FsckResult
    /// Whether blob contents were re-hashed.
    public var hashesVerified: Bool
    /// Blobs recorded and checked, and their bytes.
    public var blobsChecked: Int64
    public var bytesChecked: Int64
    /// Recorded blobs whose file is missing.
    public var missingBlobs: [VaultBlobReference]
    public var missingBlobCount: Int64
    /// Recorded blobs whose file has another size than recorded.
    public var sizeMismatches: [VaultBlobReference]
    public var sizeMismatchCount: Int64
    /// Blobs whose bytes no longer hash to their id.
    public var hashMismatches: [VaultBlobReference]
    public var hashMismatchCount: Int64
    /// Revisions referencing a blob their vault does not record.
    public var danglingReferences: [VaultBlobReference]
    /// Entries whose head revision is missing or stale.
    public var brokenHeads: Int64
    /// Live entries whose parent is not a live folder.
    public var orphanEntries: Int64
    /// Blob files nothing records, and their bytes (GC reclaims them after the grace period).
    public var orphanFiles: [VaultBlobReference]
    public var orphanFileCount: Int64
    public var orphanFileBytes: Int64
    /// Blob folders of vaults that no longer exist.
    public var orphanVaultFolders: Int64
    /// What SQLite's `integrity_check` and `foreign_key_check` reported, and blob reference
    /// counts that disagree with the references (fixed texts).
    public var databaseProblems: [String]

    /// Most items per list.
    public static let maximumListed = 1_000

    /// An empty report.
    public init(hashesVerified: Bool) {
        result = .clean
        self.hashesVerified = hashesVerified
        blobsChecked = 0
        bytesChecked = 0
        missingBlobs = []
        missingBlobCount = 0
        sizeMismatches = []
        sizeMismatchCount = 0
        hashMismatches = []
        hashMismatchCount = 0
        danglingReferences = []
        brokenHeads = 0
        orphanEntries = 0
        orphanFiles = []
        orphanFileCount = 0
        orphanFileBytes = 0
        orphanVaultFolders = 0
        databaseProblems = []
    }
}

/// `POST /v1/admin/backup`: a consistent copy of the running server's data into `destination`.
public struct BackupRequest: Sendable, Codable, Equatable {
    /// An absolute path on the server's machine: a directory that does not exist yet (its
    /// parent must) or an empty one, outside the data directory.
    public var destination: String

    /// A request as given.
    public init(destination: String) {
        self.destination = destination
    }
}

/// What a backup wrote.
public struct BackupReport: Sendable, Codable, Equatable {
    /// The directory written; `coffred --data` starts from it.
    public var destination: String
    /// Size of the database copy.
    public var databaseBytes: Int64
    /// Blobs copied, and their bytes.
    public var blobs: Int64
    public var blobBytes: Int64
    /// Of those, how many were hard links to the live files (same file system) rather than copies.
    public var hardLinkedBlobs: Int64
    /// When the database snapshot was taken, Unix seconds.
    public var createdAt: Int64

    /// A report as given.
    public init(
        destination: String, databaseBytes: Int64, blobs: Int64, blobBytes: Int64, hardLinkedBlobs: Int64,
        createdAt: Int64
    ) {
        self.destination = destination
        self.databaseBytes = databaseBytes
        self.blobs = blobs
        self.blobBytes = blobBytes
        self.hardLinkedBlobs = hardLinkedBlobs
        self.createdAt = createdAt
    }
}
