import CoffreProtocol
import SQLiteStore

/// Vaults: creation, the caller's list, rename and deletion.
extension SyncStore {
    /// Creates a vault; `user` becomes its owner and `request.wrappedKey` their generation-1 grant.
    /// Throws `stateConflict` when the vault id is taken, `memberNotFound` when `user` does not exist.
    public func createVault(user: Int64, _ request: CreateVaultRequest) async throws(SyncError) -> VaultSummary {
        try checkVaultName(request.name)
        try checkWrappedKey(request.wrappedKey)
        let now = clock.now()
        return try await write { db in
            let taken = try db.fetchValue(
                "SELECT 1 FROM vaults WHERE public_id = ?", [request.vaultId.bytes], as: Int64.self)
            guard taken == nil else { throw SyncError.stateConflict("the vault id is taken") }
            guard try db.fetchValue("SELECT 1 FROM users WHERE id = ?", [user], as: Int64.self) != nil else {
                throw SyncError.memberNotFound
            }
            try db.execute(
                "INSERT INTO vaults (public_id, name, created) VALUES (?, ?, ?)",
                [request.vaultId.bytes, request.name.bytes, now])
            let rowID = try db.lastInsertRowID
            try db.execute(
                "INSERT INTO vault_members (vault, user_id, role, added) VALUES (?, ?, 'owner', ?)", [rowID, user, now])
            try db.execute(
                "INSERT INTO vault_keys (vault, user_id, generation, wrapped_key) VALUES (?, ?, 1, ?)",
                [rowID, user, request.wrappedKey.bytes])
            return VaultSummary(
                vaultId: request.vaultId, name: request.name, role: .owner, keyGeneration: 1,
                wrappedKey: request.wrappedKey, seq: 0)
        }
    }

    /// The vaults `user` is a member of, ordered by vault id, each with the caller's role and
    /// grant of the current key generation.
    public func vaults(user: Int64) async throws(SyncError) -> VaultList {
        try await read { db in
            let vaults = try db.fetchAll(
                """
                SELECT v.public_id, v.name, m.role, v.key_generation, k.wrapped_key, v.seq
                FROM vault_members m
                JOIN vaults v ON v.id = m.vault
                LEFT JOIN vault_keys k
                    ON k.vault = m.vault AND k.user_id = m.user_id AND k.generation = v.key_generation
                WHERE m.user_id = ?
                ORDER BY v.public_id
                """, [user]
            ) { row in
                VaultSummary(
                    vaultId: try row.identifier(at: 0), name: try row.base64Bytes(at: 1), role: try row.role(at: 2),
                    keyGeneration: try row.int64(at: 3),
                    wrappedKey: try row.isNull(at: 4) ? nil : try row.base64Bytes(at: 4), seq: try row.int64(at: 5))
            }
            return VaultList(vaults: vaults)
        }
    }

    /// Replaces the encrypted vault name (owner only).
    public func renameVault(_ vault: VaultID, user: Int64, _ request: RenameVaultRequest) async throws(SyncError) {
        try checkVaultName(request.name)
        try await write { db in
            let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .owner)
            try db.execute("UPDATE vaults SET name = ? WHERE id = ?", [request.name.bytes, access.rowID])
        }
    }

    /// Deletes a vault and everything in it: members, keys, entries, history, blob records
    /// (owner only). Returns what the blob layer must then delete: the vault's whole blob
    /// namespace, named by the vault id. Long-poll waiters on the vault are woken.
    public func deleteVault(_ vault: VaultID, user: Int64) async throws(SyncError) -> VaultDeletion {
        let deletion = try await write { db in
            let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .owner)
            let blobs = try db.fetchOne(
                "SELECT count(*), coalesce(sum(size), 0) FROM blobs WHERE vault = ?", [access.rowID]
            ) { row in (count: try row.int64(at: 0), bytes: try row.int64(at: 1)) }
            // The foreign keys cascade from the vault row to every table of the schema
            // (https://sqlite.org/foreignkeys.html#fk_actions); immediate constraints are checked
            // when the statement ends, after the whole cascade.
            try db.execute("DELETE FROM vaults WHERE id = ?", [access.rowID])
            return VaultDeletion(vaultId: vault, blobCount: blobs?.count ?? 0, blobBytes: blobs?.bytes ?? 0)
        }
        notifier.vaultDeleted(vault)
        return deletion
    }

    func checkVaultName(_ name: Base64Bytes) throws(SyncError) {
        guard (1...limits.maxVaultNameBytes).contains(name.count) else {
            throw .invalidRequest("an encrypted vault name must be 1 to \(limits.maxVaultNameBytes) bytes")
        }
    }

    func checkWrappedKey(_ key: Base64Bytes) throws(SyncError) {
        guard (1...limits.maxWrappedKeyBytes).contains(key.count) else {
            throw .invalidRequest("a wrapped vault key must be 1 to \(limits.maxWrappedKeyBytes) bytes")
        }
    }
}
