import CoffreProtocol
import SQLiteStore

/// The blob layer's side of the vault tables: which blobs a vault already holds before an
/// upload, and recording uploads with the uploader charged (migration 0003, `BlobChargeSchema`).
extension SyncStore {
    /// Checks that `user` is a member of `vault` with at least `role`.
    func checkAccess(_ vault: VaultID, user: Int64, requiring role: VaultRole) async throws(SyncError) {
        _ = try await read { db in try VaultAccess.check(db, vault: vault, user: user, requiring: role).rowID }
    }

    /// The ids among `ids` that `vault` already records, read in one snapshot together with the
    /// check that `user` holds at least `role`.
    func recordedBlobs(
        _ vault: VaultID, user: Int64, among ids: [BlobID], requiring role: VaultRole
    ) async throws(SyncError) -> Set<BlobID> {
        guard ids.count <= limits.maxMissingQueryIDs else {
            throw .invalidRequest("at most \(limits.maxMissingQueryIDs) blobs per request")
        }
        return try await read { db in
            let access = try VaultAccess.check(db, vault: vault, user: user, requiring: role)
            return Set(ids).subtracting(try Self.missing(db, vault: access.rowID, ids: ids))
        }
    }

    /// Records blobs whose bytes the blob layer has just made durable, inside the caller's
    /// transaction, in vault row `vault` (write role checked by the caller; uploads come through
    /// `UploadRecordGroups`, commits carrying blobs through `SyncStore.commit`).
    ///
    /// A blob the vault did not hold gets a row charged to `user`, with its bytes when `inline`
    /// holds them (`blob_bytes`); one it held gets its time refreshed, which restarts its GC grace
    /// period (a blob already held, in either home, is not stored twice). The caller reserved
    /// `reservedBytes` of `user`'s quota before writing; the difference with the bytes actually
    /// new to the vault is given back — or, when a blob the caller found recorded was collected
    /// meanwhile and is new again, charged without a quota check, since its bytes are already
    /// stored. Returns the ids that were new.
    static func recordUploads(
        _ db: Connection, vault: Int64, user: Int64, _ sizes: [BlobID: Int64], inline: [BlobID: ArraySlice<UInt8>],
        reservedBytes: Int64, now: Int64
    ) throws -> Set<BlobID> {
        let new = try missing(db, vault: vault, ids: Array(sizes.keys))
        var newBytes: Int64 = 0
        // Statements from the connection's cache: a commit carrying one blob would otherwise
        // parse them on every request.
        for (id, size) in sizes {
            if new.contains(id) {
                try db.withStatement("INSERT INTO blobs (vault, hash, size, created, charged_to) VALUES (?, ?, ?, ?, ?)") { insert in
                    try insert.bind(vault, at: 1)
                    try insert.bind(id.bytes, at: 2)
                    try insert.bind(size, at: 3)
                    try insert.bind(now, at: 4)
                    try insert.bind(user, at: 5)
                    while try insert.step() {}
                }
                if let bytes = inline[id] { try storeInlineBytes(db, vault: vault, id: id, bytes: bytes) }
                newBytes += size
            } else {
                try db.withStatement("UPDATE blobs SET created = max(created, ?) WHERE vault = ? AND hash = ?") { refresh in
                    try refresh.bind(now, at: 1)
                    try refresh.bind(vault, at: 2)
                    try refresh.bind(id.bytes, at: 3)
                    while try refresh.step() {}
                }
            }
        }
        try settleReservation(db, user: user, reservedBytes: reservedBytes, chargedBytes: newBytes)
        return new
    }

    /// Replaces `user`'s reservation of `reservedBytes` by a charge of `chargedBytes`, in the
    /// caller's transaction. Usage never goes below zero.
    static func settleReservation(_ db: Connection, user: Int64, reservedBytes: Int64, chargedBytes: Int64) throws {
        let adjustment = chargedBytes - reservedBytes
        if adjustment > 0 {
            try db.execute("UPDATE users SET used_bytes = used_bytes + ? WHERE id = ?", [adjustment, user])
        } else if adjustment < 0 {
            try db.execute("UPDATE users SET used_bytes = max(0, used_bytes - ?) WHERE id = ?", [-adjustment, user])
        }
    }

    /// Sets every user's `used_bytes` to the sizes of the blobs charged to them. Run at start,
    /// before any upload: it gives back reservations a crash or kill left behind (an upload
    /// reserves before it writes and is charged or released when it ends).
    func reconcileQuotaUsage() async throws(SyncError) {
        try await write { db in
            // blobs_by_charge covers the correlated sum (one index range per user).
            try db.execute(
                """
                UPDATE users SET used_bytes = (
                    SELECT coalesce(sum(size), 0) FROM blobs WHERE charged_to = users.id)
                """, [])
        }
    }
}
