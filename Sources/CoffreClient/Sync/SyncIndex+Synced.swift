import CoffreProtocol
import SQLiteStore

/// A change to the synced tree, written together with others in one transaction.
enum IndexUpdate: Sendable {
    /// Both sides now agree on this state: its synced row (and its chunk cache rows) are
    /// replaced, and the remote state is applied up to its rev.
    case agreed(SyncedEntry)
    /// The entry is gone on both sides, or no longer followed here: its synced row and cache
    /// rows go, and its remote state counts as applied.
    case forgotten(EntryID)
    /// The remote state was looked at and needs nothing here (the tombstone of an entry this
    /// side never had).
    case remoteApplied(EntryID)
    /// A folder moved on disk from `from` to `to`: the paths of everything below follow.
    case subtreeMoved(from: String, to: String)
}

extension SyncIndex {
    /// Every synced entry, by id.
    func syncedEntries() async throws(SyncClientError) -> [EntryID: SyncedEntry] {
        try await read("read the synced tree") { db in
            var entries: [EntryID: SyncedEntry] = [:]
            try db.query("SELECT \(Self.entrySelectList) FROM synced") { row in
                let entry = try Self.syncedEntry(row)
                entries[entry.id] = entry
            }
            return entries
        }
    }

    /// The synced entry at on-disk path `path`, if any.
    func syncedEntry(atPath path: String) async throws(SyncClientError) -> SyncedEntry? {
        try await read("look up a synced path") { db in
            try db.fetchOne("SELECT \(Self.entrySelectList) FROM synced WHERE path = ?", [path]) { try Self.syncedEntry($0) }
        }
    }

    /// Applies `updates` in order, in one transaction.
    func apply(_ updates: [IndexUpdate]) async throws(SyncClientError) {
        guard !updates.isEmpty else { return }
        try await write("update the synced tree") { db in
            for update in updates { try Self.apply(update, in: db) }
        }
    }

    static func apply(_ update: IndexUpdate, in db: Connection) throws {
        switch update {
        case .agreed(let entry):
            try storeSynced(entry, in: db)
            try db.execute("UPDATE remote SET dirty = 0 WHERE entry_id = ? AND rev <= ?", [entry.id.bytes, entry.rev])
        case .forgotten(let id):
            try removeSynced(id, in: db)
            try db.execute("UPDATE remote SET dirty = 0 WHERE entry_id = ?", [id.bytes])
        case .remoteApplied(let id):
            try db.execute("UPDATE remote SET dirty = 0 WHERE entry_id = ?", [id.bytes])
        case .subtreeMoved(let from, let to):
            // Everything strictly below `from`: paths in ["from/", "from0"), '0' following '/'.
            let below = try db.fetchAll(
                "SELECT entry_id, path FROM synced WHERE path >= ? AND path < ?", [from + "/", from + "0"]
            ) { row in (try row.blob(at: 0), try row.string(at: 1)) }
            for (id, path) in below {
                let moved = to + String(decoding: path.utf8.dropFirst(from.utf8.count), as: UTF8.self)
                try db.execute(
                    "UPDATE synced SET path = ?, sort_key = ? WHERE entry_id = ?", [moved, SyncedEntry.sortKey(moved), id])
            }
        }
    }

    /// Writes `entry`'s synced row and its chunk cache rows; the remote tree is left alone.
    static func storeSynced(_ entry: SyncedEntry, in db: Connection) throws {
        try db.execute(syncedInsert, entryArguments(entry))
        try replaceChunks(of: entry, in: db)
    }

    /// Removes entry `id`'s synced row and its chunk cache rows; the remote tree is left alone.
    static func removeSynced(_ id: EntryID, in db: Connection) throws {
        try db.execute("DELETE FROM synced WHERE entry_id = ?", [id.bytes])
        try db.execute("DELETE FROM chunks WHERE entry_id = ?", [id.bytes])
    }
}
