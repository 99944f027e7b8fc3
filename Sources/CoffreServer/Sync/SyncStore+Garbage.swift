import CoffreProtocol
import SQLiteStore

/// GC planning (DESIGN §7): blobs that no retained revision references and that are older than
/// a grace period. The grace period protects uploads whose commit has not landed yet: the blob
/// layer records a blob before the commit that references it. Operator calls.
extension SyncStore {
    /// Scans the next `batchSize` blob records after `after` (from the start when nil), in
    /// (vault, id) order, and returns those that are GC candidates: unreferenced and recorded more
    /// than `graceSeconds` ago. Each call costs at most `batchSize` rows, so pass `next` back until
    /// it is nil. Nothing is deleted (this is also `coffre-admin gc --dry-run`).
    public func garbageCandidates(
        graceSeconds: Int64, after: GarbageCursor? = nil, batchSize: Int = 1_000
    ) async throws(SyncError) -> GarbagePage {
        let scan = min(max(batchSize, 1), limits.maxMissingQueryIDs)
        let cutoff = clock.now() - max(0, graceSeconds)
        return try await read { db in
            let start = after ?? GarbageCursor(vault: 0, hash: [])
            // The blobs primary key is (vault, hash): the row-value comparison is a range on it
            // (https://sqlite.org/rowvalue.html#scrolling_window_queries).
            let end = try db.fetchOne(
                "SELECT vault, hash FROM blobs WHERE (vault, hash) > (?, ?) ORDER BY vault, hash LIMIT 1 OFFSET ?",
                [start.vault, start.hash, scan - 1]
            ) { row in GarbageCursor(vault: try row.int64(at: 0), hash: try row.blob(at: 1)) }
            let upper = end ?? GarbageCursor(vault: Int64.max, hash: [])
            let candidates = try db.fetchAll(
                """
                SELECT v.public_id, b.hash, b.size FROM blobs b JOIN vaults v ON v.id = b.vault
                WHERE (b.vault, b.hash) > (?, ?) AND (b.vault, b.hash) <= (?, ?) AND b.created < ?
                  AND b.refs = 0
                ORDER BY b.vault, b.hash
                """, [start.vault, start.hash, upper.vault, upper.hash, cutoff]
            ) { row in
                VaultBlob(vaultId: try row.identifier(at: 0), blob: try row.blobID(at: 1), size: try row.int64(at: 2))
            }
            return GarbagePage(candidates: candidates, next: end)
        }
    }

    /// Deletes the records of `blobs` that are still GC candidates — unreferenced and older than
    /// the grace period, checked again in this transaction — and returns those deleted: the blob
    /// layer then deletes their bytes. A blob referenced or re-recorded since it was listed stays.
    public func deleteUnreferencedBlobs(
        _ blobs: [VaultBlob], graceSeconds: Int64
    ) async throws(SyncError) -> [VaultBlob] {
        guard blobs.count <= limits.maxMissingQueryIDs else {
            throw .invalidRequest("at most \(limits.maxMissingQueryIDs) blobs per call")
        }
        let cutoff = clock.now() - max(0, graceSeconds)
        return try await write { db in
            var deleted: [VaultBlob] = []
            for blob in blobs {
                try db.execute(
                    """
                    DELETE FROM blobs
                    WHERE vault = (SELECT id FROM vaults WHERE public_id = ?1) AND hash = ?2 AND created < ?3
                      AND refs = 0
                    """, [blob.vaultId.bytes, blob.blob.bytes, cutoff])
                if try db.changes == 1 { deleted.append(blob) }
            }
            return deleted
        }
    }

    /// Lists what breaks the schema's invariants, at most `limit` items of each kind: revisions
    /// referencing a blob the vault does not record (dangling references), entries whose head is
    /// not their newest revision, live entries whose parent is not a live folder, and blobs
    /// whose reference count is not their number of references.
    public func checkConsistency(limit: Int = 1_000) async throws(SyncError) -> ConsistencyReport {
        let bound = max(1, limit)
        return try await read { db in
            let dangling = try db.fetchAll(
                """
                SELECT v.public_id, rb.hash, count(*) FROM revision_blobs rb JOIN vaults v ON v.id = rb.vault
                WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.vault = rb.vault AND b.hash = rb.hash)
                GROUP BY rb.vault, rb.hash ORDER BY rb.vault, rb.hash LIMIT ?
                """, [bound]
            ) { row in
                DanglingReference(
                    vaultId: try row.identifier(at: 0), blob: try row.blobID(at: 1), revisions: try row.int64(at: 2))
            }
            let brokenHeads = try db.fetchAll(
                """
                SELECT v.public_id, e.entry_id FROM entries e JOIN vaults v ON v.id = e.vault
                LEFT JOIN revisions r ON r.id = e.head
                WHERE r.id IS NULL OR r.vault != e.vault OR r.entry != e.id OR r.rev != e.rev
                ORDER BY e.vault, e.entry_id LIMIT ?
                """, [bound], Self.vaultEntry)
            let orphans = try db.fetchAll(
                """
                SELECT v.public_id, e.entry_id FROM entries e JOIN vaults v ON v.id = e.vault
                WHERE e.deleted = 0 AND e.parent_id != zeroblob(16) AND NOT EXISTS (
                    SELECT 1 FROM entries p
                    WHERE p.vault = e.vault AND p.entry_id = e.parent_id AND p.deleted = 0 AND p.kind = 2)
                ORDER BY e.vault, e.entry_id LIMIT ?
                """, [bound], Self.vaultEntry)
            // One pass over the references, grouped, against every blob's count: GC deletes a
            // blob at 0, so a count below the truth would lose a referenced blob.
            let miscounted = try db.fetchAll(
                """
                WITH counted AS (SELECT vault, hash, count(*) AS n FROM revision_blobs GROUP BY vault, hash)
                SELECT v.public_id, b.hash, b.refs, coalesce(c.n, 0) FROM blobs b JOIN vaults v ON v.id = b.vault
                LEFT JOIN counted c ON c.vault = b.vault AND c.hash = b.hash
                WHERE b.refs != coalesce(c.n, 0) ORDER BY b.vault, b.hash LIMIT ?
                """, [bound]
            ) { row in
                VaultBlobCount(
                    vaultId: try row.identifier(at: 0), blob: try row.blobID(at: 1), recorded: try row.int64(at: 2),
                    counted: try row.int64(at: 3))
            }
            return ConsistencyReport(
                danglingReferences: dangling, brokenHeads: brokenHeads, orphans: orphans, miscountedBlobs: miscounted)
        }
    }

    private static func vaultEntry(_ row: Row) throws -> VaultEntry {
        VaultEntry(vaultId: try row.identifier(at: 0), entryId: try row.identifier(at: 1))
    }
}
