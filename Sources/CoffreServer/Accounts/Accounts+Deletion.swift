import CoffreCrypto
import CoffreProtocol
import SQLiteStore

extension Accounts {
    /// Deletes the session user's account after checking its authKey again (throttled like a
    /// login): every row about the user goes — credentials, invites, devices, audit entries,
    /// and what the erasure hooks remove — and one `user_deleted` audit entry, holding only the
    /// former numeric id, remains for the administrator.
    public func deleteAccount(
        _ request: AccountDeletionRequest, session: DeviceSession, from address: [UInt8]?
    ) async throws(APIError) {
        var authKey = try AccountRequestChecks.authKey(request.authKey, field: "authKey")
        defer { SecretBytes.wipe(&authKey) }
        try throttle.check(account: session.userName, address: address)
        let key = authKey
        let hooks = erasureHooks
        let now = clock.now()
        let result = try await store.write("delete account") { db -> Result<[@Sendable () async -> Void], APIError> in
            let stored = try Self.storedCredentials(ofUser: session.userID, in: db)
            let verdict = try self.verifyAuthKey(
                key, against: stored, account: session.userName, address: address, auditUserID: session.userID,
                deviceID: session.deviceID, at: now, in: db)
            if case .failure(let error) = verdict { return .failure(error) }
            return .success(try Self.eraseUser(session.userID, hooks: hooks, actor: .user, at: now, in: db))
        }
        switch result {
        case .failure(let error):
            throw error
        case .success(let followUps):
            await finishErasure(ofUser: session.userID, followUps: followUps)
        }
    }

    /// Deletes a user on an administrator's order (no authKey needed).
    public func deleteUser(named name: String, by admin: AdminActor) async throws(APIError) {
        let name = try AccountRequestChecks.userName(name, field: "name")
        let hooks = erasureHooks
        let now = clock.now()
        let (userID, followUps) = try await store.write("delete user") { db in
            let user = try AccountRows.existingUser(named: name.rawValue, in: db)
            return (user.id, try Self.eraseUser(user.id, hooks: hooks, actor: .admin(admin), at: now, in: db))
        }
        await finishErasure(ofUser: userID, followUps: followUps)
    }

    /// The rows of one deletion, inside the caller's transaction. Returns the hooks' follow-ups.
    private static func eraseUser(
        _ userID: Int64, hooks: [any AccountErasureHook], actor: AuditLog.Actor, at now: Int64, in db: Connection
    ) throws -> [@Sendable () async -> Void] {
        var followUps: [@Sendable () async -> Void] = []
        for hook in hooks {
            if let followUp = try hook.eraseRows(ofUser: userID, in: db) { followUps.append(followUp) }
        }
        try db.execute("DELETE FROM audit WHERE user_id = ?", [userID])
        // user_credentials, invites and devices reference users(id) ON DELETE CASCADE.
        try db.execute("DELETE FROM users WHERE id = ?", [userID])
        guard try db.changes == 1 else { throw APIError.notFound("user") }
        try AuditLog.record(.userDeleted, at: now, userID: userID, actor: actor, in: db)
        return followUps
    }

    /// After the commit: cut the user's tokens off, then run the hooks' follow-ups in order.
    private func finishErasure(ofUser userID: Int64, followUps: [@Sendable () async -> Void]) async {
        authenticator.invalidate(user: userID)
        for followUp in followUps { await followUp() }
    }
}
