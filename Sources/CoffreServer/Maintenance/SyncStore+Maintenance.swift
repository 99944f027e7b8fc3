import CoffreProtocol
import SQLiteStore

/// Operator reads for garbage collection, fsck and backup: no user, no membership check (the
/// admin API authenticates its caller).
extension SyncStore {
    /// The ids among `ids` that `vault` records; empty when the vault does not exist.
    func recordedBlobs(in vault: VaultID, among ids: [BlobID]) async throws(SyncError) -> Set<BlobID> {
        guard !ids.isEmpty else { return [] }
        return try await read { db in
            guard let rowID = try db.fetchValue("SELECT id FROM vaults WHERE public_id = ?", [vault.bytes], as: Int64.self)
            else { return [] }
            return Set(ids).subtracting(try Self.missing(db, vault: rowID, ids: ids))
        }
    }

    /// The next `limit` blob rows after `after` in (vault row, hash) order, with their sizes and
    /// home, and the cursor of the last one (nil at the end).
    func blobRecords(after: GarbageCursor?, limit: Int) async throws(SyncError) -> (records: [BlobRecord], next: GarbageCursor?) {
        try await read { db in try Self.blobRecords(db, after: after, limit: limit) }
    }

    /// `blobRecords(after:limit:)` on a connection the caller holds (a backup's copy).
    static func blobRecords(
        _ db: Connection, after: GarbageCursor?, limit: Int
    ) throws -> (records: [BlobRecord], next: GarbageCursor?) {
        let start = after ?? GarbageCursor(vault: 0, hash: [])
        var last: GarbageCursor?
        // The blobs primary key serves the row-value range (https://sqlite.org/rowvalue.html);
        // length() of a BLOB reads its size from the record header, not its bytes
        // (https://sqlite.org/lang_corefunc.html#length).
        let records = try db.fetchAll(
            """
            SELECT v.public_id, b.hash, b.size, b.vault, length(bb.bytes) FROM blobs b JOIN vaults v ON v.id = b.vault
            LEFT JOIN blob_bytes bb ON bb.vault = b.vault AND bb.hash = b.hash
            WHERE (b.vault, b.hash) > (?, ?) ORDER BY b.vault, b.hash LIMIT ?
            """, [start.vault, start.hash, limit]
        ) { row in
            last = GarbageCursor(vault: try row.int64(at: 3), hash: try row.blob(at: 1))
            let blob = VaultBlob(vaultId: try row.identifier(at: 0), blob: try row.blobID(at: 1), size: try row.int64(at: 2))
            return BlobRecord(blob: blob, inlineBytes: try row.isNull(at: 4) ? nil : try row.int64(at: 4))
        }
        return (records, records.count == limit ? last : nil)
    }

    /// What SQLite's own checks report about the file: `PRAGMA integrity_check` and
    /// `PRAGMA foreign_key_check` (https://sqlite.org/pragma.html#pragma_integrity_check), at
    /// most `limit` lines, as fixed texts (table names, never values).
    func databaseProblems(limit: Int) async throws(SyncError) -> [String] {
        try await read { db in
            var problems = try db.integrityCheck(maxErrors: limit)
            try db.query("PRAGMA foreign_key_check") { row in
                guard problems.count < limit else { return }
                problems.append("foreign key broken in table \(try row.string(at: 0))")
            }
            return problems
        }
    }

    /// The vault ids among `candidates` that have no vault row.
    func vaultsWithoutRows(_ candidates: [VaultID]) async throws(SyncError) -> Set<VaultID> {
        try await read { db in
            var missing = Set<VaultID>()
            for vault in candidates
            where try db.fetchValue("SELECT 1 FROM vaults WHERE public_id = ?", [vault.bytes], as: Int64.self) == nil {
                missing.insert(vault)
            }
            return missing
        }
    }
}
