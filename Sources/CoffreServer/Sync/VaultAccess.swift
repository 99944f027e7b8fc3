import CoffreProtocol
import SQLiteStore

/// What the caller may do in one vault, read in the transaction that does the work.
struct VaultAccess: Sendable {
    /// `vaults.id`, the key other tables use.
    let rowID: Int64
    let vaultID: VaultID
    let role: VaultRole
    let seq: Int64
    let keyGeneration: Int64
    /// Cursors below this are gone: tombstones after them were purged.
    let feedFloor: Int64

    /// Looks up `user`'s membership of `vault`. A missing vault and a non-member get the same
    /// `vaultNotFound`; a member below `required` gets `forbidden`.
    static func check(
        _ db: Connection, vault: VaultID, user: Int64, requiring required: VaultRole
    ) throws -> VaultAccess {
        let access = try db.fetchOne(
            """
            SELECT v.id, m.role, v.seq, v.key_generation, v.feed_floor
            FROM vaults v JOIN vault_members m ON m.vault = v.id AND m.user_id = ?
            WHERE v.public_id = ?
            """, [user, vault.bytes]
        ) { row in
            VaultAccess(
                rowID: try row.int64(at: 0), vaultID: vault, role: try row.role(at: 1), seq: try row.int64(at: 2),
                keyGeneration: try row.int64(at: 3), feedFloor: try row.int64(at: 4))
        }
        guard let access else { throw SyncError.vaultNotFound }
        guard access.role.includes(required) else { throw SyncError.forbidden(required: required) }
        return access
    }

    /// The row id of `vault` for operator calls, which check no membership.
    static func rowID(_ db: Connection, vault: VaultID) throws -> Int64 {
        guard let id = try db.fetchValue("SELECT id FROM vaults WHERE public_id = ?", [vault.bytes], as: Int64.self)
        else { throw SyncError.vaultNotFound }
        return id
    }
}
