import CoffreProtocol
import SQLiteStore

/// Members, roles and key generations. Grants are opaque to the server: it stores them and
/// hands each member their own; clients verify the granter's signature (docs/format.md).
extension SyncStore {
    /// The vault's members with their roles and the generations they hold grants for (any member).
    public func members(_ vault: VaultID, user: Int64) async throws(SyncError) -> MemberList {
        try await read { db in
            let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .read)
            var members: [VaultMember] = []
            try db.query(
                """
                SELECT m.user_id, m.role, k.generation
                FROM vault_members m LEFT JOIN vault_keys k ON k.vault = m.vault AND k.user_id = m.user_id
                WHERE m.vault = ?
                ORDER BY m.user_id, k.generation
                """, [access.rowID]
            ) { row in
                let userID = try row.int64(at: 0)
                let generation: Int64? = try row[2]
                if members.last?.userId != userID {
                    members.append(VaultMember(userId: userID, role: try row.role(at: 1), keyGenerations: []))
                }
                if let generation { members[members.count - 1].keyGenerations.append(generation) }
            }
            return MemberList(keyGeneration: access.keyGeneration, members: members)
        }
    }

    /// The caller's own grants, every generation they hold, ascending (any member).
    public func vaultKeys(_ vault: VaultID, user: Int64) async throws(SyncError) -> [WrappedVaultKey] {
        try await read { db in
            let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .read)
            return try db.fetchAll(
                "SELECT generation, wrapped_key FROM vault_keys WHERE vault = ? AND user_id = ? ORDER BY generation",
                [access.rowID, user]
            ) { row in WrappedVaultKey(generation: try row.int64(at: 0), wrappedKey: try row.base64Bytes(at: 1)) }
        }
    }

    /// Adds a member (owner only). `request.keys` must hold a grant of the current generation and
    /// may hold older ones, each generation at most once.
    public func addMember(_ vault: VaultID, user: Int64, _ request: AddMemberRequest) async throws(SyncError) {
        for key in request.keys { try checkWrappedKey(key.wrappedKey) }
        let generations = Set(request.keys.map(\.generation))
        guard generations.count == request.keys.count, generations.allSatisfy({ $0 >= 1 }) else {
            throw .invalidRequest("key generations must be 1 or more and listed once each")
        }
        let now = clock.now()
        try await write { [limits] db in
            let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .owner)
            guard generations.contains(access.keyGeneration), generations.allSatisfy({ $0 <= access.keyGeneration })
            else {
                throw SyncError.stateConflict("the grants must include the current key generation and no later one")
            }
            guard try db.fetchValue("SELECT 1 FROM users WHERE id = ?", [request.userId], as: Int64.self) != nil else {
                throw SyncError.memberNotFound
            }
            let existing = try db.fetchValue(
                "SELECT 1 FROM vault_members WHERE vault = ? AND user_id = ?", [access.rowID, request.userId],
                as: Int64.self)
            guard existing == nil else { throw SyncError.stateConflict("the user is already a member") }
            let count =
                try db.fetchValue(
                    "SELECT count(*) FROM vault_members WHERE vault = ?", [access.rowID], as: Int.self) ?? 0
            guard count < limits.maxMembersPerVault else {
                throw SyncError.invalidRequest("a vault has at most \(limits.maxMembersPerVault) members")
            }
            try db.execute(
                "INSERT INTO vault_members (vault, user_id, role, added) VALUES (?, ?, ?, ?)",
                [access.rowID, request.userId, request.role.rawValue, now])
            for key in request.keys {
                try db.execute(
                    "INSERT INTO vault_keys (vault, user_id, generation, wrapped_key) VALUES (?, ?, ?, ?)",
                    [access.rowID, request.userId, key.generation, key.wrappedKey.bytes])
            }
        }
    }

    /// Removes a member and their grants. Owners may remove anyone; any member may remove
    /// themselves (leave). The last owner cannot go. Start a new key generation afterwards so
    /// that new content is out of the removed member's reach.
    public func removeMember(_ vault: VaultID, user: Int64, member: Int64) async throws(SyncError) {
        try await write { db in
            let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .read)
            guard member == user || access.role == .owner else { throw SyncError.forbidden(required: .owner) }
            let role = try Self.memberRole(db, vault: access.rowID, member: member)
            if role == .owner { try Self.refuseLastOwner(db, vault: access.rowID) }
            try db.execute("DELETE FROM vault_members WHERE vault = ? AND user_id = ?", [access.rowID, member])
        }
    }

    /// Changes a member's role (owner only); the last owner cannot be demoted.
    public func changeRole(
        _ vault: VaultID, user: Int64, member: Int64, _ request: ChangeRoleRequest
    ) async throws(SyncError) {
        try await write { db in
            let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .owner)
            let role = try Self.memberRole(db, vault: access.rowID, member: member)
            if role == .owner && request.role != .owner { try Self.refuseLastOwner(db, vault: access.rowID) }
            try db.execute(
                "UPDATE vault_members SET role = ? WHERE vault = ? AND user_id = ?",
                [request.role.rawValue, access.rowID, member])
        }
    }

    /// Starts key generation `request.generation` (owner only), which must be the current one
    /// plus 1, with exactly one grant per current member. Returns the new generation.
    public func rotateKey(
        _ vault: VaultID, user: Int64, _ request: KeyRotationRequest
    ) async throws(SyncError) -> Int64 {
        for grant in request.grants { try checkWrappedKey(grant.wrappedKey) }
        let grantees = Set(request.grants.map(\.userId))
        guard grantees.count == request.grants.count else { throw .invalidRequest("one grant per member") }
        return try await write { db in
            let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .owner)
            guard request.generation == access.keyGeneration + 1 else {
                throw SyncError.stateConflict("the next key generation is \(access.keyGeneration + 1)")
            }
            let members = Set(
                try db.fetchValues("SELECT user_id FROM vault_members WHERE vault = ?", [access.rowID], as: Int64.self))
            guard members == grantees else {
                throw SyncError.stateConflict("the grants must cover exactly the current members")
            }
            try db.execute("UPDATE vaults SET key_generation = ? WHERE id = ?", [request.generation, access.rowID])
            for grant in request.grants {
                try db.execute(
                    "INSERT INTO vault_keys (vault, user_id, generation, wrapped_key) VALUES (?, ?, ?, ?)",
                    [access.rowID, grant.userId, request.generation, grant.wrappedKey.bytes])
            }
            return request.generation
        }
    }

    private static func memberRole(_ db: Connection, vault: Int64, member: Int64) throws -> VaultRole {
        let role = try db.fetchOne(
            "SELECT role FROM vault_members WHERE vault = ? AND user_id = ?", [vault, member]
        ) { row in try row.role(at: 0) }
        guard let role else { throw SyncError.memberNotFound }
        return role
    }

    private static func refuseLastOwner(_ db: Connection, vault: Int64) throws {
        let owners =
            try db.fetchValue(
                "SELECT count(*) FROM vault_members WHERE vault = ? AND role = 'owner'", [vault], as: Int64.self) ?? 0
        guard owners > 1 else { throw SyncError.stateConflict("a vault keeps at least one owner") }
    }
}
