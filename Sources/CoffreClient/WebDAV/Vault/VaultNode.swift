import CoffreProtocol

/// One entry of the vault as the gateway knows it: its newest state from the changes feed (or
/// from a commit of the gateway itself) with the record opened.
struct VaultNode: Sendable {
    var id: EntryID
    var parentID: EntryID
    var kind: EntryKind
    var rev: Int64
    var nameTag: NameTag
    var deleted: Bool
    /// The opened record; nil when this client cannot open it (such an entry is not served).
    var record: EntryRecord?
    /// The key generation the record (and the file's chunks) are sealed under.
    var generation: UInt32

    /// Live and readable: what the gateway serves.
    var isServed: Bool { !deleted && record != nil }

    /// The entity tag: the entry's rev, which every commit touching the entry changes.
    var etag: String { "r\(rev)" }
}
