/// The answer to a commit that landed (200).
public struct CommitReceipt: Sendable, Codable, Equatable {
    /// The vault's new `seq`; every entry of the commit now has `rev == seq`.
    public var seq: Int64
    /// True when this answers a retry of a commit that had already landed.
    public var replayed: Bool

    /// A receipt for a commit that landed at `seq`.
    public init(seq: Int64, replayed: Bool) {
        self.seq = seq
        self.replayed = replayed
    }
}

/// The answer to a commit that did not land (409): nothing changed, and every entry that
/// stopped it is listed with the reason and its current state.
public struct CommitRejection: Sendable, Codable, Equatable {
    /// The vault's `seq`, unchanged by the refused commit.
    public var seq: Int64
    /// One item per conflicting entry, in the order of the request.
    public var conflicts: [CommitConflict]

    /// A rejection at `seq` listing `conflicts`.
    public init(seq: Int64, conflicts: [CommitConflict]) {
        self.seq = seq
        self.conflicts = conflicts
    }
}

/// Why one entry of a commit could not be applied.
public struct CommitConflict: Sendable, Codable, Equatable {
    /// The entry of the request that conflicts.
    public var entryId: EntryID
    /// Why.
    public var reason: ConflictReason
    /// The entry's current state on the server; nil when it does not exist.
    public var current: EntryHeader?
    /// For `nameTaken`, the live sibling holding the name; for `folderNotEmpty`, a live child
    /// left in the folder; for `cycle`, the entry's would-be descendant it was moved under.
    public var otherEntryId: EntryID?
    /// For `missingBlobs`, the referenced blobs the vault does not hold.
    public var missingBlobs: [BlobID]?

    /// One conflict.
    public init(
        entryId: EntryID, reason: ConflictReason, current: EntryHeader?, otherEntryId: EntryID? = nil,
        missingBlobs: [BlobID]? = nil
    ) {
        self.entryId = entryId
        self.reason = reason
        self.current = current
        self.otherEntryId = otherEntryId
        self.missingBlobs = missingBlobs
    }
}

/// The stable codes of commit conflicts (docs/sync-engine.md, "Conflicts").
public enum ConflictReason: String, Sendable, Codable, CaseIterable {
    /// `baseRev` is 0 but the entry exists (possibly as a tombstone).
    case alreadyExists
    /// `baseRev` is not the entry's current `rev`: someone committed it meanwhile.
    case staleRev
    /// `baseRev` is above 0 but the entry does not exist.
    case notFound
    /// The kind differs from the existing entry's kind.
    case kindChanged
    /// The parent does not exist.
    case parentMissing
    /// The parent is in the trash.
    case parentDeleted
    /// The parent is a file or symlink.
    case parentNotFolder
    /// The commit would put a folder under itself.
    case cycle
    /// A live sibling has the same name tag.
    case nameTaken
    /// The commit deletes a folder that keeps a live child.
    case folderNotEmpty
    /// Referenced blobs are not in the vault (upload them, then retry).
    case missingBlobs
}
