/// An entry's current state as the changes feed and the trash return it.
public struct EntryState: Sendable, Codable, Equatable {
    /// The entry.
    public var entryId: EntryID
    /// The `seq` of the commit that last touched the entry.
    public var rev: Int64
    /// The folder that holds it.
    public var parentId: EntryID
    /// Its kind.
    public var kind: EntryKind
    /// Its name tag.
    public var nameTag: NameTag
    /// True for a tombstone (the entry is in the trash).
    public var deleted: Bool
    /// Its encrypted record.
    public var record: Base64Bytes

    /// One entry state.
    public init(
        entryId: EntryID, rev: Int64, parentId: EntryID, kind: EntryKind, nameTag: NameTag, deleted: Bool,
        record: Base64Bytes
    ) {
        self.entryId = entryId
        self.rev = rev
        self.parentId = parentId
        self.kind = kind
        self.nameTag = nameTag
        self.deleted = deleted
        self.record = record
    }

    /// The state without its record.
    public var header: EntryHeader {
        EntryHeader(rev: rev, parentId: parentId, kind: kind, nameTag: nameTag, deleted: deleted)
    }
}

/// An entry's current state without its record, as a conflict reports it.
public struct EntryHeader: Sendable, Codable, Equatable {
    /// The `seq` of the commit that last touched the entry.
    public var rev: Int64
    /// The folder that holds it.
    public var parentId: EntryID
    /// Its kind.
    public var kind: EntryKind
    /// Its name tag.
    public var nameTag: NameTag
    /// True for a tombstone.
    public var deleted: Bool

    /// One header.
    public init(rev: Int64, parentId: EntryID, kind: EntryKind, nameTag: NameTag, deleted: Bool) {
        self.rev = rev
        self.parentId = parentId
        self.kind = kind
        self.nameTag = nameTag
        self.deleted = deleted
    }
}
