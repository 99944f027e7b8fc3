import CoffreProtocol

/// One entry of the remote tree: its newest state from the changes feed, with the record
/// opened. A record this client cannot open (no key for it, altered by the server) leaves
/// `attributes` nil: such an entry is reported and never applied.
struct RemoteEntry: Sendable, Equatable {
    var id: EntryID
    var parentID: EntryID
    var kind: EntryKind
    var rev: Int64
    var deleted: Bool
    var nameTag: NameTag
    var attributes: EntryAttributes?

    /// The remote state of a synced entry as the synced tree records it.
    init(synced: SyncedEntry, nameTag: NameTag, deleted: Bool) {
        id = synced.id
        parentID = synced.parentID
        kind = synced.kind
        rev = synced.rev
        self.deleted = deleted
        self.nameTag = nameTag
        attributes = synced.attributes
    }

    init(
        id: EntryID, parentID: EntryID, kind: EntryKind, rev: Int64, deleted: Bool, nameTag: NameTag,
        attributes: EntryAttributes?
    ) {
        self.id = id
        self.parentID = parentID
        self.kind = kind
        self.rev = rev
        self.deleted = deleted
        self.nameTag = nameTag
        self.attributes = attributes
    }
}
