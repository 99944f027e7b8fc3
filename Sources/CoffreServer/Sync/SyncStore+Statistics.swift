import CoffreProtocol
import SQLiteStore

/// Storage figures for `coffre-admin stats` (DESIGN §9). Operator calls.
extension SyncStore {
    /// Figures for one vault.
    public func statistics(_ vault: VaultID) async throws(SyncError) -> SyncStatistics {
        try await read { db in
            let rowID = try VaultAccess.rowID(db, vault: vault)
            return try Self.statistics(db, vault: rowID)
        }
    }

    /// Figures for all vaults together.
    public func statistics() async throws(SyncError) -> SyncStatistics {
        try await read { db in try Self.statistics(db, vault: nil) }
    }

    /// One snapshot's figures, for vault row `vault` or every vault when nil.
    private static func statistics(_ db: Connection, vault: Int64?) throws -> SyncStatistics {
        let filter = vault == nil ? "" : "WHERE vault = ?"
        let arguments: StatementArguments = vault.map { [$0] } ?? []
        var stats = SyncStatistics()
        stats.vaults = vault == nil ? try db.fetchValue("SELECT count(*) FROM vaults", as: Int64.self) ?? 0 : 1
        try db.query("SELECT count(*), coalesce(sum(size), 0) FROM blobs \(filter)", arguments) { row in
            stats.blobs = try row.int64(at: 0)
            stats.physicalBytes = try row.int64(at: 1)
        }
        try db.query("SELECT deleted, count(*) FROM entries \(filter) GROUP BY deleted", arguments) { row in
            if try row.flag(at: 0) {
                stats.deletedEntries = try row.int64(at: 1)
            } else {
                stats.liveEntries = try row.int64(at: 1)
            }
        }
        stats.revisions = try db.fetchValue("SELECT count(*) FROM revisions \(filter)", arguments, as: Int64.self) ?? 0
        // Each live entry's current revision, each blob it references as often as it lists it.
        stats.logicalBytes =
            try db.fetchValue(
                """
                SELECT coalesce(sum(b.size * rb.occurrences), 0) FROM entries e
                JOIN revision_blobs rb ON rb.revision = e.head
                JOIN blobs b ON b.vault = rb.vault AND b.hash = rb.hash
                WHERE e.deleted = 0 \(vault == nil ? "" : "AND e.vault = ?")
                """, arguments, as: Int64.self) ?? 0
        return stats
    }
}
