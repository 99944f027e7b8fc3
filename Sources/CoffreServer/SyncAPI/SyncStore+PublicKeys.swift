import CoffreProtocol
import SQLiteStore

/// Public keys for sharing: a client wraps a vault key to a user's X25519 key and checks grants
/// against their Ed25519 key (docs/format.md, "Vault key grants"). Only registered users have
/// keys; the server stores the public halves (`user_credentials`) and never the private ones.
extension SyncStore {
    /// The public keys of the registered user called `name`; `memberNotFound` for a name with
    /// no registered account.
    func publicKeys(ofUserNamed name: String) async throws(SyncError) -> UserPublicKeys {
        try await read { db in
            guard let keys = try Self.publicKeys(db, where: "u.name = ?", [name]) else { throw SyncError.memberNotFound }
            return keys
        }
    }

    /// The public keys of `member` of `vault`, for a caller who is a member too (any role);
    /// `memberNotFound` when `member` is not a member.
    func publicKeys(ofMember member: Int64, in vault: VaultID, user: Int64) async throws(SyncError) -> UserPublicKeys {
        try await read { db in
            let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .read)
            let keys = try Self.publicKeys(
                db, where: "u.id = ? AND EXISTS (SELECT 1 FROM vault_members m WHERE m.vault = ? AND m.user_id = u.id)",
                [member, access.rowID])
            guard let keys else { throw SyncError.memberNotFound }
            return keys
        }
    }

    private static func publicKeys(
        _ db: Connection, where condition: String, _ arguments: StatementArguments
    ) throws -> UserPublicKeys? {
        try db.fetchOne(
            """
            SELECT u.id, u.name, c.x25519_public, c.ed25519_public
            FROM users u JOIN user_credentials c ON c.user_id = u.id
            WHERE \(condition)
            """, arguments
        ) { row in
            UserPublicKeys(
                userId: try row.int64(at: 0), userName: try row.string(at: 1), x25519PublicKey: try row.base64Bytes(at: 2),
                ed25519PublicKey: try row.base64Bytes(at: 3))
        }
    }
}
