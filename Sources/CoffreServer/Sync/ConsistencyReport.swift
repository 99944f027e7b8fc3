import CoffreProtocol

/// What `SyncStore.checkConsistency` found; empty lists mean the metadata is consistent.
public struct ConsistencyReport: Sendable, Equatable {
    /// Blobs referenced by revisions but not recorded in their vault.
    public var danglingReferences: [DanglingReference]
    /// Entries whose head is missing or is not their newest revision.
    public var brokenHeads: [VaultEntry]
    /// Live entries whose parent is not a live folder.
    public var orphans: [VaultEntry]
    /// Blobs whose reference count (`blobs.refs`, which garbage collection trusts) is not the
    /// number of revision references naming them.
    public var miscountedBlobs: [VaultBlobCount]

    /// True when nothing was found.
    public var isConsistent: Bool {
        danglingReferences.isEmpty && brokenHeads.isEmpty && orphans.isEmpty && miscountedBlobs.isEmpty
    }
}

/// A blob some revisions reference that the vault does not record.
public struct DanglingReference: Sendable, Hashable {
    /// The vault.
    public var vaultId: VaultID
    /// The missing blob.
    public var blob: BlobID
    /// How many revisions reference it.
    public var revisions: Int64
}

/// A blob whose recorded reference count disagrees with its references.
public struct VaultBlobCount: Sendable, Hashable {
    /// The vault.
    public var vaultId: VaultID
    /// The blob.
    public var blob: BlobID
    /// The count the blob's row holds.
    public var recorded: Int64
    /// The revision references that name it.
    public var counted: Int64
}

/// One entry of one vault.
public struct VaultEntry: Sendable, Hashable {
    /// The vault.
    public var vaultId: VaultID
    /// The entry.
    public var entryId: EntryID
}
