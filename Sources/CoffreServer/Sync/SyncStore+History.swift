import CoffreProtocol
import SQLiteStore

/// History and trash (DESIGN §7). Restoring is a client commit of an old revision's record and
/// blobs; the server only lists what it retains.
extension SyncStore {
    /// A page of `entry`'s retained revisions with `rev < before` (all when nil), newest first,
    /// each with its record and blob references (any member). Throws `entryNotFound` when the
    /// entry does not exist (or was purged from the trash).
    public func revisions(
        _ vault: VaultID, user: Int64, entry: EntryID, before: Int64? = nil, limit: Int
    ) async throws(SyncError) -> RevisionList {
        let pageSize = min(max(limit, 1), limits.maxHistoryPageEntries)
        return try await read { db in
            let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .read)
            let entryRow = try db.fetchValue(
                "SELECT id FROM entries WHERE vault = ? AND entry_id = ?", [access.rowID, entry.bytes], as: Int64.self)
            guard let entryRow else { throw SyncError.entryNotFound }
            // The UNIQUE (entry, rev) index serves the range and the order.
            var rows = try db.fetchAll(
                """
                SELECT id, rev, parent_id, kind, name_tag, deleted, record, created FROM revisions
                WHERE entry = ? AND rev < ? ORDER BY rev DESC LIMIT ?
                """, [entryRow, before ?? Int64.max, pageSize + 1]
            ) { row in
                (
                    id: try row.int64(at: 0),
                    info: RevisionInfo(
                        rev: try row.int64(at: 1), parentId: try row.identifier(at: 2), kind: try row.entryKind(at: 3),
                        nameTag: try row.nameTag(at: 4), deleted: try row.flag(at: 5),
                        record: try row.base64Bytes(at: 6),
                        blobs: [], committedAt: try row.int64(at: 7))
                )
            }
            let more = rows.count > pageSize
            if more { rows.removeLast() }
            var revisions: [RevisionInfo] = []
            for row in rows {
                var info = row.info
                info.blobs = try Self.blobReferences(db, revision: row.id, max: self.limits.maxBlobsPerEntry)
                revisions.append(info)
            }
            return RevisionList(entryId: entry, revisions: revisions, nextBefore: more ? revisions.last?.rev : nil)
        }
    }

    /// A page of the trash: entries whose current state is a tombstone, with `rev < before`
    /// (all when nil), most recently deleted first (any member). Like the feed, a page never
    /// splits one commit's tombstones.
    public func trash(
        _ vault: VaultID, user: Int64, before: Int64? = nil, limit: Int
    ) async throws(SyncError) -> TrashPage {
        let pageSize = min(max(limit, 1), limits.maxHistoryPageEntries)
        return try await read { db in
            let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .read)
            // `deleted = 1` lets SQLite use the partial index entries_trash
            // (https://sqlite.org/partialindex.html#queries_using_partial_indexes).
            let rows = try db.fetchAll(
                """
                SELECT \(Self.entryStateColumns) FROM entries e JOIN revisions r ON r.id = e.head
                WHERE e.vault = ? AND e.deleted = 1 AND e.rev < ? ORDER BY e.rev DESC, e.entry_id LIMIT ?
                """, [access.rowID, before ?? Int64.max, pageSize + 1], Self.entryState)
            guard rows.count > pageSize else { return TrashPage(entries: rows, nextBefore: nil) }
            let boundary = rows[pageSize].rev
            if rows[0].rev > boundary {
                return TrashPage(entries: rows.filter { $0.rev > boundary }, nextBefore: boundary + 1)
            }
            let commit = try db.fetchAll(
                """
                SELECT \(Self.entryStateColumns) FROM entries e JOIN revisions r ON r.id = e.head
                WHERE e.vault = ? AND e.deleted = 1 AND e.rev = ? ORDER BY e.entry_id
                """, [access.rowID, boundary], Self.entryState)
            let older = try db.fetchValue(
                "SELECT 1 FROM entries WHERE vault = ? AND deleted = 1 AND rev < ? LIMIT 1",
                [access.rowID, boundary], as: Int64.self)
            return TrashPage(entries: commit, nextBefore: older == nil ? nil : boundary)
        }
    }

    /// The blobs revision `revision` references, each repeated as often as the commit listed it,
    /// ordered by id. More than `max` in all means a damaged row (commits are limited to that).
    static func blobReferences(_ db: Connection, revision: Int64, max: Int) throws -> [BlobID] {
        var blobs: [BlobID] = []
        try db.query(
            "SELECT hash, occurrences FROM revision_blobs WHERE revision = ? ORDER BY hash", [revision]
        ) { row in
            let id = try row.blobID(at: 0)
            let count = try row.int64(at: 1)
            guard count >= 1, count <= Int64(max - blobs.count) else {
                throw SyncError.internalFailure("a stored blob reference count is out of range")
            }
            blobs.append(contentsOf: repeatElement(id, count: Int(count)))
        }
        return blobs
    }
}
