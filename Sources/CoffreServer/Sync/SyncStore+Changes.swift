import CoffreProtocol
import SQLiteStore

/// The changes feed (DESIGN §7): entry states with `rev > since`, in order, with long-poll.
extension SyncStore {
    /// The columns `entryState(from:)` reads, for `entries e JOIN revisions r ON r.id = e.head`.
    static let entryStateColumns = "e.entry_id, e.rev, e.parent_id, e.kind, e.name_tag, e.deleted, r.record"

    /// One page of `vault`'s changes after cursor `since` (any member).
    ///
    /// Entries come ordered by `rev`, then entry id, tombstones included, at most `limit` of them
    /// (capped by `limits.maxFeedPageEntries`) — except that a page never splits a commit, so a
    /// single commit larger than `limit` comes whole. With `wait` and nothing new, the call
    /// long-polls until a commit lands or the wait (capped by `limits.maxWaitSeconds`) passes,
    /// then answers what there is, possibly an empty page.
    ///
    /// Throws `cursorGone` when tombstones after `since` were purged (the client must resync in
    /// full), `cursorAhead` when `since` is beyond the vault's `seq`, `tooManyWaiters`, `cancelled`.
    public func changes(
        _ vault: VaultID, user: Int64, since: Int64, limit: Int, wait: Duration? = nil
    ) async throws(SyncError) -> ChangesPage {
        guard since >= 0 else { throw .invalidRequest("the cursor cannot be negative") }
        let pageSize = min(max(limit, 1), limits.maxFeedPageEntries)
        let page = try await read { db in
            try Self.changesPage(db, vault: vault, user: user, since: since, limit: pageSize)
        }
        guard page.entries.isEmpty, let wait, wait > .zero else { return page }
        let bounded = min(wait, .milliseconds(Int64(limits.maxWaitSeconds * 1000)))
        switch try await notifier.wait(vault: vault, after: page.cursor, timeout: bounded) {
        case .cancelled: throw .cancelled
        case .timedOut: return page
        case .changed:
            return try await read { db in
                try Self.changesPage(db, vault: vault, user: user, since: since, limit: pageSize)
            }
        }
    }

    /// Long-poll requests waiting right now, all vaults together (a gauge for `/metrics`).
    public var longPollWaiters: Int { notifier.waiterCount }

    /// The page after `since`, read in one snapshot together with the membership check.
    static func changesPage(
        _ db: Connection, vault: VaultID, user: Int64, since: Int64, limit: Int
    ) throws -> ChangesPage {
        let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .read)
        guard since >= access.feedFloor else { throw SyncError.cursorGone(oldestCursor: access.feedFloor) }
        guard since <= access.seq else { throw SyncError.cursorAhead(currentSeq: access.seq) }
        // entries_by_rev is (vault, rev, entry_id): the index delivers this order without a sort.
        let rows = try db.fetchAll(
            """
            SELECT \(entryStateColumns) FROM entries e JOIN revisions r ON r.id = e.head
            WHERE e.vault = ? AND e.rev > ? ORDER BY e.rev, e.entry_id LIMIT ?
            """, [access.rowID, since, limit + 1], entryState)
        guard rows.count > limit else {
            // Everything after `since` fits: the vault's seq is the next cursor.
            return ChangesPage(entries: rows, cursor: access.seq, hasMore: false)
        }
        let boundary = rows[limit].rev
        if rows[0].rev < boundary {
            // Stop before the commit the page would split. No entry has a rev between the last
            // one kept and `boundary`, so `boundary - 1` is a correct cursor.
            return ChangesPage(entries: rows.filter { $0.rev < boundary }, cursor: boundary - 1, hasMore: true)
        }
        // One commit larger than the page: it comes whole (at most maxEntriesPerCommit entries).
        let commit = try db.fetchAll(
            """
            SELECT \(entryStateColumns) FROM entries e JOIN revisions r ON r.id = e.head
            WHERE e.vault = ? AND e.rev = ? ORDER BY e.entry_id
            """, [access.rowID, boundary], entryState)
        // The newest commit's entries all still carry its seq, so more exist exactly when the
        // boundary is below the vault's seq.
        return ChangesPage(entries: commit, cursor: boundary, hasMore: boundary < access.seq)
    }

    /// Reads `entryStateColumns`.
    static func entryState(from row: Row) throws -> EntryState {
        EntryState(
            entryId: try row.identifier(at: 0), rev: try row.int64(at: 1), parentId: try row.identifier(at: 2),
            kind: try row.entryKind(at: 3), nameTag: try row.nameTag(at: 4), deleted: try row.flag(at: 5),
            record: try row.base64Bytes(at: 6))
    }
}
