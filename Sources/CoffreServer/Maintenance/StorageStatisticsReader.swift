import CoffreProtocol
import SQLiteStore

/// Reads the storage figures of every vault from one snapshot, five grouped scans in all
/// (docs/sync-engine.md, "Statistics", defines each figure): vault ids, blobs, entries,
/// revisions, and the logical bytes of the live entries' current revisions.
enum StorageStatisticsReader {
    /// Every vault's figures, their totals, and the largest vaults by physical bytes.
    static func read(_ db: Connection, longPollWaiters: Int) throws -> StorageStatistics {
        var vaults: [Int64: VaultID] = [:]
        try db.query("SELECT id, public_id FROM vaults") { row in vaults[try row.int64(at: 0)] = try row.identifier(at: 1) }
        var figures: [Int64: Counts] = [:]
        try db.query("SELECT vault, count(*), sum(size) FROM blobs GROUP BY vault") { row in
            figures[try row.int64(at: 0), default: Counts()].blobs = (try row.int64(at: 1), try row.int64(at: 2))
        }
        try db.query("SELECT vault, sum(deleted = 0), sum(deleted = 1) FROM entries GROUP BY vault") { row in
            figures[try row.int64(at: 0), default: Counts()].entries = (try row.int64(at: 1), try row.int64(at: 2))
        }
        try db.query("SELECT vault, count(*) FROM revisions GROUP BY vault") { row in
            figures[try row.int64(at: 0), default: Counts()].revisions = try row.int64(at: 1)
        }
        try db.query(
            """
            SELECT e.vault, sum(b.size * rb.occurrences) FROM entries e
            JOIN revision_blobs rb ON rb.revision = e.head
            JOIN blobs b ON b.vault = rb.vault AND b.hash = rb.hash
            WHERE e.deleted = 0 GROUP BY e.vault
            """
        ) { row in figures[try row.int64(at: 0), default: Counts()].logicalBytes = try row.int64(at: 1) }

        var total = Counts()
        var perVault: [VaultStorage] = []
        for (rowID, vault) in vaults {
            let counts = figures[rowID] ?? Counts()
            total.add(counts)
            perVault.append(VaultStorage(vaultId: vault, figures: counts.figures))
        }
        perVault.sort { ($0.figures.physicalBytes, $0.vaultId) > ($1.figures.physicalBytes, $1.vaultId) }
        let listed = Array(perVault.prefix(StorageStatistics.maximumVaultDetails))
        return StorageStatistics(
            total: total.figures, vaults: Int64(vaults.count), longPollWaiters: longPollWaiters, largestVaults: listed,
            vaultsNotListed: Int64(perVault.count - listed.count))
    }

    private struct Counts {
        var blobs: (count: Int64, bytes: Int64) = (0, 0)
        var entries: (live: Int64, deleted: Int64) = (0, 0)
        var revisions: Int64 = 0
        var logicalBytes: Int64 = 0

        mutating func add(_ other: Counts) {
            blobs = (blobs.count + other.blobs.count, blobs.bytes + other.blobs.bytes)
            entries = (entries.live + other.entries.live, entries.deleted + other.entries.deleted)
            revisions += other.revisions
            logicalBytes += other.logicalBytes
        }

        var figures: VaultStorageFigures {
            VaultStorageFigures(
                liveEntries: entries.live, deletedEntries: entries.deleted, revisions: revisions, blobs: blobs.count,
                physicalBytes: blobs.bytes, logicalBytes: logicalBytes)
        }
    }
}
