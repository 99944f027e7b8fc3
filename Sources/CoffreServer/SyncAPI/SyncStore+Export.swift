import CoffreProtocol
import SQLiteStore

extension SyncStore {
    /// The next `limit` blobs of `vault` after `after` (from the start when nil), by id, for a
    /// member (any role): what a user's export copies.
    func blobs(of vault: VaultID, user: Int64, after: BlobID?, limit: Int) async throws(SyncError) -> [StoredBlob] {
        try await read { db in
            let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .read)
            // The blobs primary key (vault, hash) serves the range and the order.
            return try db.fetchAll(
                "SELECT hash, size FROM blobs WHERE vault = ? AND hash > ? ORDER BY hash LIMIT ?",
                [access.rowID, after?.bytes ?? [], limit]
            ) { row in StoredBlob(id: try row.blobID(at: 0), size: try row.int64(at: 1)) }
        }
    }
}
