/// The body of a commit (DESIGN §7): a batch of entry states applied all together or not at all.
public struct CommitRequest: Sendable, Codable, Equatable {
    /// Optional idempotency key: 16 random bytes. A retried commit with the same id and the same
    /// changes that already landed answers the original result instead of applying twice.
    public var commitId: CommitID?
    /// The new entry states, each entry at most once.
    public var changes: [EntryChange]

    /// A commit of `changes`, with an optional idempotency key.
    public init(commitId: CommitID? = nil, changes: [EntryChange]) {
        self.commitId = commitId
        self.changes = changes
    }
}

/// One entry's new state in a commit.
public struct EntryChange: Sendable, Codable, Equatable {
    /// The entry; never the root id.
    public var entryId: EntryID
    /// The entry's `rev` the client last saw; 0 means the entry must not exist yet.
    public var baseRev: Int64
    /// The folder that holds the entry (the root id for the top level).
    public var parentId: EntryID
    /// The entry's kind; it cannot change once the entry exists.
    public var kind: EntryKind
    /// The entry's name tag, unique among the live children of `parentId`.
    public var nameTag: NameTag
    /// True for a tombstone: the entry moves to the trash.
    public var deleted: Bool
    /// The encrypted entry record (docs/format.md, "Encrypted record").
    public var record: Base64Bytes
    /// Every blob this state references (chunks and manifest blobs); each must be in the vault.
    /// A blob listed twice counts twice in logical-size statistics.
    public var blobs: [BlobID]

    /// One entry's new state.
    public init(
        entryId: EntryID, baseRev: Int64, parentId: EntryID, kind: EntryKind, nameTag: NameTag,
        deleted: Bool = false, record: Base64Bytes, blobs: [BlobID] = []
    ) {
        self.entryId = entryId
        self.baseRev = baseRev
        self.parentId = parentId
        self.kind = kind
        self.nameTag = nameTag
        self.deleted = deleted
        self.record = record
        self.blobs = blobs
    }
}
