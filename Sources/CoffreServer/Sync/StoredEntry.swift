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

    /// The same columns of the table aliased `e`.
    static let qualifiedColumns = "e.parent_id, e.kind, e.name_tag, e.deleted, e.rev"

    /// Reads the five `columns` starting at column `first`.
    static func read(from row: Row, startingAt first: Int = 0) throws -> StoredEntry {
        StoredEntry(
            parent: try row.identifier(at: first), kind: try row.entryKind(at: first + 1),
            nameTag: try row.nameTag(at: first + 2), deleted: try row.flag(at: first + 3),
            rev: try row.int64(at: first + 4))
    }
}
