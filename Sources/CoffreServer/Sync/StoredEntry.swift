import CoffreProtocol
import SQLiteStore

/// An entry's current state as the `entries` table holds it (the record lives in `revisions`).
struct StoredEntry: Sendable, Equatable {
    var parent: EntryID
    var kind: EntryKind
    var nameTag: NameTag
    var deleted: Bool
    var rev: Int64

    /// The state as a conflict reports it.
    var header: EntryHeader {
        EntryHeader(rev: rev, parentId: parent, kind: kind, nameTag: nameTag, deleted: deleted)
    }

    /// The columns `read(from:)` expects, in order.
    static let columns = "parent_id, kind, name_tag, deleted, rev"

    /// Reads the five `columns` starting at column 0.
    static func read(from row: Row) throws -> StoredEntry {
        StoredEntry(
            parent: try row.identifier(at: 0), kind: try row.entryKind(at: 1), nameTag: try row.nameTag(at: 2),
            deleted: try row.flag(at: 3), rev: try row.int64(at: 4))
    }
}
