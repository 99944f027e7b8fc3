import CoffreProtocol
import SQLiteStore

/// The remote tree: feed pages in, changes not yet applied out.
extension SyncIndex {
    /// Stores the states of one feed page and moves the cursor to `cursor`, in one transaction
    /// (a crash keeps both or neither). A state is dirty — still to apply locally — unless the
    /// synced tree already holds its rev (this client's own commit coming back) or it is the
    /// tombstone of an entry this side never had.
    func storeFeedPage(_ entries: [RemoteEntry], cursor: Int64) async throws(SyncClientError) {
        try await write("store a feed page") { db in
            for entry in entries {
                let syncedRev = try db.fetchValue("SELECT rev FROM synced WHERE entry_id = ?", [entry.id.bytes], as: Int64.self)
                let dirty = syncedRev.map { entry.rev > $0 } ?? !entry.deleted
                try Self.storeRemote(entry, dirty: dirty, in: db)
            }
            try db.execute("UPDATE state SET cursor = ?, highest_seq = max(highest_seq, ?) WHERE id = 1", [cursor, cursor])
        }
    }

    /// Forgets the remote tree and rewinds the cursor to 0, for a full resync after the server
    /// purged the history the cursor pointed into (410). The highest seq seen stays.
    func rewindFeed() async throws(SyncClientError) {
        try await write("rewind the feed") { db in
            try db.execute("DELETE FROM remote", [])
            try db.execute("UPDATE state SET cursor = 0 WHERE id = 1", [])
        }
    }

    /// After a full resync: a synced entry the feed no longer lists was purged from the
    /// server (deleted long ago). It gets a tombstone at rev 0, dirty, so the planner applies
    /// the deletion — or, when this side changed it, creates it anew (base rev 0).
    func markPurgedEntries() async throws(SyncClientError) {
        try await write("mark purged entries") { db in
            let zeroTag = [UInt8](repeating: 0, count: NameTag.byteCount)
            try db.execute(
                """
                INSERT INTO remote (entry_id, parent_id, kind, rev, deleted, name_tag, readable, dirty)
                SELECT entry_id, parent_id, kind, 0, 1, ?, 0, 1 FROM synced
                WHERE NOT EXISTS (SELECT 1 FROM remote WHERE remote.entry_id = synced.entry_id)
                """, [zeroTag])
        }
    }

    /// Every remote state still to apply locally.
    func dirtyRemoteEntries() async throws(SyncClientError) -> [RemoteEntry] {
        try await read("read remote changes") { db in
            try db.fetchAll("SELECT \(Self.remoteSelectList) FROM remote WHERE dirty = 1", [], Self.remoteEntry)
        }
    }

    /// The remote states of `ids` (those known), by id.
    func remoteEntries(_ ids: [EntryID]) async throws(SyncClientError) -> [EntryID: RemoteEntry] {
        try await read("read remote entries") { db in
            var found: [EntryID: RemoteEntry] = [:]
            for id in ids {
                if let entry = try db.fetchOne(
                    "SELECT \(Self.remoteSelectList) FROM remote WHERE entry_id = ?", [id.bytes], Self.remoteEntry)
                {
                    found[id] = entry
                }
            }
            return found
        }
    }
}
