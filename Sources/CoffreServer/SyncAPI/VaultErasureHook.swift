import CoffreProtocol
import SQLiteStore

/// What deleting an account does to its vaults (protocol.md, "Deletion"): the vaults it alone
/// owns are deleted — rows in the account's own deletion transaction, then their blob folders,
/// verifiably off disk — and its memberships of other vaults go with the `users` row (foreign
/// keys cascade). Blobs it uploaded to vaults that stay are kept, charged to nobody.
struct VaultErasureHook: AccountErasureHook {
    let blobs: BlobLayer

    func eraseRows(ofUser userID: Int64, in db: Connection) throws -> (@Sendable () async -> Void)? {
        // Vaults where the user is an owner and no other member is.
        let doomed = try db.fetchAll(
            """
            SELECT v.id, v.public_id FROM vaults v
            JOIN vault_members m ON m.vault = v.id AND m.user_id = ?1 AND m.role = 'owner'
            WHERE NOT EXISTS (
                SELECT 1 FROM vault_members o WHERE o.vault = v.id AND o.role = 'owner' AND o.user_id != ?1)
            """, [userID]
        ) { row in (rowID: try row.int64(at: 0), vault: try row.identifier(at: 1) as VaultID) }
        for vault in doomed {
            // Every table of the vault cascades from its row; the blobs' trigger gives other
            // uploaders their bytes back (BlobChargeSchema).
            try db.execute("DELETE FROM vaults WHERE id = ?", [vault.rowID])
        }
        let vaults = doomed.map(\.vault)
        let blobs = self.blobs
        return {
            blobs.readers.invalidate(user: userID)
            for vault in vaults {
                blobs.store.notifier.vaultDeleted(vault)
                blobs.readers.invalidate(vault: vault)
                await blobs.removeFiles(ofVault: vault)
            }
        }
    }
}
