import CoffreProtocol
import SQLiteStore

extension Accounts {
    /// Creates an admin API token (`cfa_…`); the text is returned once, only its hash is kept.
    public func createAdminToken(_ request: CreateAdminTokenRequest, by admin: AdminActor) async throws(APIError) -> CreateAdminTokenResponse {
        let name = try AccountRequestChecks.label(request.name, field: "name")
        return try await insertAdminToken(named: name, actor: .admin(admin))
    }

    /// Every admin token, without secrets.
    public func listAdminTokens() async throws(APIError) -> AdminTokenList {
        try await store.read("list admin tokens") { db in
            AdminTokenList(tokens: try db.fetchAll("SELECT id, name, created_at, last_seen_at FROM admin_tokens ORDER BY id", []) { row in
                AdminTokenInfo(id: try row.int64(at: 0), name: try row.string(at: 1), createdAt: try row.int64(at: 2), lastSeenAt: try row.int64(at: 3))
            })
        }
    }

    /// Revokes an admin token; it stops working before this returns. A token may revoke itself.
    public func revokeAdminToken(_ tokenID: Int64, by admin: AdminActor) async throws(APIError) {
        let now = clock.now()
        try await store.write("revoke admin token") { db in
            try db.execute("DELETE FROM admin_tokens WHERE id = ?", [tokenID])
            guard try db.changes == 1 else { throw APIError.notFound("admin token") }
            try AuditLog.record(.adminTokenRevoked, at: now, actor: .admin(admin), detail: "token \(tokenID)", in: db)
        }
        authenticator.invalidate(adminToken: tokenID)
    }

    func insertAdminToken(named name: String, actor: AuditLog.Actor) async throws(APIError) -> CreateAdminTokenResponse {
        let token: String
        let hash: [UInt8]
        do {
            token = try SecretToken.generate(.admin)
            hash = try SecretToken.hash(token)
        } catch {
            throw store.mapped(error, "generate admin token")
        }
        let now = clock.now()
        let minute = now - now % TokenAuthenticator.lastSeenResolution
        return try await store.write("create admin token") { db in
            let count = try db.fetchValue("SELECT count(*) FROM admin_tokens", [], as: Int.self) ?? 0
            guard count < AccountRules.maximumAdminTokens else {
                throw APIError.tooMany("admin tokens", limit: AccountRules.maximumAdminTokens)
            }
            try db.execute(
                "INSERT INTO admin_tokens(name, token_hash, created_at, last_seen_at) VALUES (?, ?, ?, ?)", [name, hash, now, minute])
            let id = try db.lastInsertRowID
            try AuditLog.record(.adminTokenCreated, at: now, actor: actor, detail: name, in: db)
            return CreateAdminTokenResponse(token: token, info: AdminTokenInfo(id: id, name: name, createdAt: now, lastSeenAt: minute))
        }
    }
}
