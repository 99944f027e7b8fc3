/// One retained revision of an entry: enough to restore it by committing its record and blobs.
public struct RevisionInfo: Sendable, Codable, Equatable {
    /// The `seq` of the commit that wrote it.
    public var rev: Int64
    /// The parent it had.
    public var parentId: EntryID
    /// The entry's kind.
    public var kind: EntryKind
    /// The name tag it had.
    public var nameTag: NameTag
    /// True when this revision is a deletion.
    public var deleted: Bool
    /// Its encrypted record.
    public var record: Base64Bytes
    /// The blobs it references.
    public var blobs: [BlobID]
    /// When it was committed, in seconds since the Unix epoch.
    public var committedAt: Int64

    /// One revision.
    public init(
        rev: Int64, parentId: EntryID, kind: EntryKind, nameTag: NameTag, deleted: Bool, record: Base64Bytes,
        blobs: [BlobID], committedAt: Int64
    ) {
        self.rev = rev
        self.parentId = parentId
        self.kind = kind
        self.nameTag = nameTag
        self.deleted = deleted
        self.record = record
        self.blobs = blobs
        self.committedAt = committedAt
    }
}

/// A page of an entry's retained revisions, newest first.
public struct RevisionList: Sendable, Codable, Equatable {
    /// The entry.
    public var entryId: EntryID
    /// Newest first.
    public var revisions: [RevisionInfo]
    /// Pass as `before` to get the next (older) page; nil on the last page.
    public var nextBefore: Int64?

    /// A page of revisions.
    public init(entryId: EntryID, revisions: [RevisionInfo], nextBefore: Int64?) {
        self.entryId = entryId
        self.revisions = revisions
        self.nextBefore = nextBefore
    }
}

/// A page of the trash: entries whose current state is a tombstone, most recently deleted first.
public struct TrashPage: Sendable, Codable, Equatable {
    /// The tombstones.
    public var entries: [EntryState]
    /// Pass as `before` to get the next (older) page; nil on the last page.
    public var nextBefore: Int64?

    /// A page of the trash.
    public init(entries: [EntryState], nextBefore: Int64?) {
        self.entries = entries
        self.nextBefore = nextBefore
    }
}
