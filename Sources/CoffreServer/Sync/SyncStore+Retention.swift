import CoffreProtocol
import SQLiteStore

/// Retention (DESIGN §7): superseded revisions and trashed entries go once `retention` allows.
/// Operator calls, meant for a background task; each batch is one short write transaction so
/// commits are not held up for long.
extension SyncStore {
    /// Prunes every vault: loops over the vaults and over batches of at most `batchLimit`
    /// deletions each until nothing is left to prune.
    public func pruneHistory(batchLimit: Int = 5_000) async throws(SyncError) -> PruneReport {
        let vaults = try await read { db in
            try db.fetchAll("SELECT public_id FROM vaults ORDER BY id") { row in try row.identifier(at: 0) as VaultID }
        }
        var total = PruneReport()
        for vault in vaults {
            var report: PruneReport
            repeat {
                do {
                    report = try await pruneHistory(vault, batchLimit: batchLimit)
                } catch .vaultNotFound {
                    break  // deleted meanwhile
                }
                total.add(report)
            } while !report.finished
        }
        total.finished = true
        return total
    }

    /// One batch of pruning in `vault`, at most `batchLimit` revisions deleted:
    ///
    /// 1. entries deleted (tombstoned) before the retention cutoff are purged with all their
    ///    revisions; the vault's feed floor moves past them, so older cursors answer `cursorGone`;
    /// 2. revisions that stopped being current before the cutoff go, except the newest
    ///    `minRevisions` of each entry (the current state is always the newest);
    /// 3. remembered commit ids older than `limits.commitIDRetentionSeconds` are forgotten.
    ///
    /// The report lists the blobs of deleted revisions that no revision references any more:
    /// GC candidates once their grace period has passed.
    public func pruneHistory(_ vault: VaultID, batchLimit: Int = 5_000) async throws(SyncError) -> PruneReport {
        let budget = max(1, batchLimit)
        let now = clock.now()
        let cutoff = retention.cutoff(now: now)
        let keep = Int64(max(1, retention.minRevisions))
        let commitCutoff = now - limits.commitIDRetentionSeconds
        return try await write { db in
            let rowID = try VaultAccess.rowID(db, vault: vault)
            var report = PruneReport()
            var touchedBlobs = Set<BlobID>()
            try Self.purgeTrash(db, vault: rowID, cutoff: cutoff, budget: budget, report: &report, blobs: &touchedBlobs)
            let left = budget - report.revisionsDeleted
            if left > 0 {
                try Self.pruneRevisions(
                    db, vault: rowID, cutoff: cutoff, keep: keep, budget: left, report: &report, blobs: &touchedBlobs)
            }
            try db.execute("DELETE FROM commits WHERE vault = ? AND created < ?", [rowID, commitCutoff])
            report.commitIDsForgotten = try db.changes
            report.unreferencedBlobs = try Self.unreferenced(db, vault: rowID, vaultID: vault, among: touchedBlobs)
            report.finished = report.revisionsDeleted < budget
            return report
        }
    }

    private static func purgeTrash(
        _ db: Connection, vault: Int64, cutoff: Int64, budget: Int, report: inout PruneReport, blobs: inout Set<BlobID>
    ) throws {
        // entries_trash finds the tombstones; the head revision says when the deletion happened.
        let expired = try db.fetchAll(
            """
            SELECT e.id, e.rev FROM entries e JOIN revisions r ON r.id = e.head
            WHERE e.vault = ? AND e.deleted = 1 AND r.created < ? ORDER BY e.rev LIMIT ?
            """, [vault, cutoff, budget]
        ) { row in (entry: try row.int64(at: 0), rev: try row.int64(at: 1)) }
        var floor: Int64 = 0
        for tombstone in expired where report.revisionsDeleted < budget {
            try db.query(
                """
                SELECT DISTINCT rb.hash FROM revisions r JOIN revision_blobs rb ON rb.revision = r.id
                WHERE r.entry = ?
                """, [tombstone.entry]
            ) { row in blobs.insert(try row.blobID(at: 0)) }
            // revision_blobs rows go with their revisions (ON DELETE CASCADE).
            try db.execute("DELETE FROM revisions WHERE entry = ?", [tombstone.entry])
            report.revisionsDeleted += try db.changes
            try db.execute("DELETE FROM entries WHERE id = ?", [tombstone.entry])
            report.entriesPurged += 1
            floor = max(floor, tombstone.rev)
        }
        if floor > 0 {
            try db.execute("UPDATE vaults SET feed_floor = max(feed_floor, ?) WHERE id = ?", [floor, vault])
        }
    }

    private static func pruneRevisions(
        _ db: Connection, vault: Int64, cutoff: Int64, keep: Int64, budget: Int, report: inout PruneReport,
        blobs: inout Set<BlobID>
    ) throws {
        // revisions_by_age finds revisions written before the cutoff (a revision superseded
        // before the cutoff was written before it); for each, the UNIQUE (entry, rev)
        // index answers "is there a keep-th newer revision" (LIMIT 1 OFFSET keep - 1) and "when
        // was the next one written" (https://sqlite.org/lang_select.html#limitoffset).
        let expired = try db.fetchValues(
            """
            SELECT r.id FROM revisions r
            WHERE r.vault = ?1 AND r.created < ?2
              AND EXISTS (
                  SELECT 1 FROM revisions n WHERE n.entry = r.entry AND n.rev > r.rev
                  ORDER BY n.rev LIMIT 1 OFFSET ?3 - 1)
              AND (
                  SELECT n.created FROM revisions n
                  WHERE n.entry = r.entry AND n.rev > r.rev
                  ORDER BY n.rev LIMIT 1) < ?2
            LIMIT ?4
            """, [vault, cutoff, keep, budget], as: Int64.self)
        for revision in expired {
            try db.query("SELECT hash FROM revision_blobs WHERE revision = ?", [revision]) { row in
                blobs.insert(try row.blobID(at: 0))
            }
            try db.execute("DELETE FROM revisions WHERE id = ?", [revision])
            report.revisionsDeleted += 1
        }
    }

    /// The blobs among `candidates` that no revision of the vault references any more.
    static func unreferenced(
        _ db: Connection, vault: Int64, vaultID: VaultID, among candidates: Set<BlobID>
    ) throws -> [VaultBlob] {
        var result: [VaultBlob] = []
        for blob in candidates.sorted(by: { $0.hex < $1.hex }) {
            let size = try db.fetchValue(
                """
                SELECT size FROM blobs b WHERE b.vault = ?1 AND b.hash = ?2 AND b.refs = 0
                """, [vault, blob.bytes], as: Int64.self)
            if let size { result.append(VaultBlob(vaultId: vaultID, blob: blob, size: size)) }
        }
        return result
    }
}
