import CoffreProtocol
import SQLiteStore

/// Per-user storage accounting for the blob layer: `users.used_bytes` against
/// `users.quota_bytes` (NULL = unlimited).
///
/// `reserve` adds bytes only if the result stays within the quota, in one conditional UPDATE,
/// so two uploads racing for the last free bytes cannot both pass; an upload reserves before it
/// writes anything and is refused with 507 (`quota_exceeded`) when there is no room. `release`
/// gives bytes back (a failed upload, deleted blobs). The `Connection` forms run inside a
/// transaction the caller already holds, so the accounting commits or rolls back with the
/// caller's own rows.
public struct QuotaService: Sendable {
    let store: AccountStore

    /// Reserves `bytes` (> 0) for `userID`; throws `quota_exceeded` or `not_found`.
    ///
    /// The commit does not wait for the disk (`AccountStore.writeWithoutSync`): every start
    /// recomputes `used_bytes` from the blobs charged to each user
    /// (`SyncStore.reconcileQuotaUsage`), so a reservation a power loss takes back costs
    /// nothing, and each upload saves a log sync (a small PUT spent one of its ~6 syncs here).
    public func reserve(_ bytes: Int64, forUser userID: Int64) async throws(APIError) {
        try await store.writeWithoutSync("reserve quota") { db in try Self.reserve(bytes, forUser: userID, in: db) }
    }

    /// Gives back `bytes` (> 0) of `userID`'s usage (never below zero). Not synced either, for
    /// the same reason as `reserve`.
    public func release(_ bytes: Int64, forUser userID: Int64) async throws(APIError) {
        try await store.writeWithoutSync("release quota") { db in try Self.release(bytes, forUser: userID, in: db) }
    }

    /// The quota and usage of `userID`.
    public func usage(ofUser userID: Int64) async throws(APIError) -> QuotaInfo {
        try await store.read("read quota") { db in
            guard let user = try AccountRows.user(id: userID, in: db) else { throw APIError.notFound("user") }
            return user.quota
        }
    }

    /// `reserve` inside the caller's transaction.
    public static func reserve(_ bytes: Int64, forUser userID: Int64, in db: Connection) throws {
        guard bytes > 0 else { throw APIError.invalidField("bytes", "must be greater than 0") }
        try db.execute(
            """
            UPDATE users SET used_bytes = used_bytes + ?1
            WHERE id = ?2 AND used_bytes <= 9223372036854775807 - ?1
              AND (quota_bytes IS NULL OR used_bytes + ?1 <= quota_bytes)
            """, [bytes, userID])
        guard try db.changes == 0 else { return }
        guard try db.fetchValue("SELECT 1 FROM users WHERE id = ?", [userID], as: Int64.self) != nil else {
            throw APIError.notFound("user")
        }
        throw APIError.quotaExceeded
    }

    /// `release` inside the caller's transaction.
    public static func release(_ bytes: Int64, forUser userID: Int64, in db: Connection) throws {
        guard bytes > 0 else { throw APIError.invalidField("bytes", "must be greater than 0") }
        try db.execute("UPDATE users SET used_bytes = max(0, used_bytes - ?) WHERE id = ?", [bytes, userID])
        guard try db.changes == 1 else { throw APIError.notFound("user") }
    }
}
