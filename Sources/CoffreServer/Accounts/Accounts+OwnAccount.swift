import CoffreCrypto
import CoffreProtocol
import SQLiteStore

extension Accounts {
    /// "whoami": the session's user (with quota and usage), device, scopes and key material.
    public func account(of session: DeviceSession) async throws(APIError) -> AccountResponse {
        try await store.read("read account") { db in
            guard let user = try AccountRows.user(id: session.userID, in: db),
                let keys = try AccountRows.keyMaterial(ofUser: session.userID, in: db),
                let device = try AccountRows.device(
                    id: session.deviceID, ofUser: session.userID, currentDeviceID: session.deviceID, in: db)
            else { throw APIError.unauthenticated }
            return AccountResponse(user: user, device: device, scopes: session.scopes.sorted(), keys: keys)
        }
    }

    /// The session user's devices, the calling one marked `isCurrent`.
    public func devices(of session: DeviceSession) async throws(APIError) -> DeviceList {
        try await store.read("list devices") { db in
            DeviceList(devices: try AccountRows.devices(ofUser: session.userID, currentDeviceID: session.deviceID, in: db))
        }
    }

    /// Revokes one of the session user's devices; `not_found` for another user's device.
    public func revokeDevice(_ deviceID: Int64, of session: DeviceSession) async throws(APIError) {
        try await revokeDevices([deviceID], ofUser: session.userID, actor: .user)
    }

    /// The session user's own audit trail.
    public func audit(of session: DeviceSession, since: Int64?, before: Int64?, limit: Int?) async throws(APIError) -> AuditPage {
        let query = AuditLog.Query(userID: session.userID, since: since, before: before, limit: try Self.pageSize(limit))
        return try await store.read("read audit") { db in try AuditLog.page(query, in: db) }
    }

    static func pageSize(_ limit: Int?) throws(APIError) -> Int {
        guard let limit else { return AccountRules.defaultAuditPageSize }
        guard (1...AccountRules.maximumAuditPageSize).contains(limit) else {
            throw .invalidQuery("limit", "must be 1 to \(AccountRules.maximumAuditPageSize)")
        }
        return limit
    }

    /// Replaces the password-derived values after checking the current authKey (throttled like
    /// a login). The key material's public half is unchanged; other devices stay logged in
    /// unless `revokeOtherDevices`, in which case their tokens stop working before this returns.
    public func changePassword(
        _ request: PasswordChangeRequest, session: DeviceSession, from address: [UInt8]?
    ) async throws(APIError) -> PasswordChangeResponse {
        var current = try AccountRequestChecks.authKey(request.currentAuthKey, field: "currentAuthKey")
        defer { SecretBytes.wipe(&current) }
        var next = try AccountRequestChecks.authKey(request.authKey, field: "authKey")
        defer { SecretBytes.wipe(&next) }
        let kdf = try AccountRequestChecks.kdf(request.kdf)
        let wrapped = try AccountRequestChecks.wrappedKeys(request.wrappedPrivateKeys)
        let replacement: (salt: [UInt8], hash: [UInt8])
        do { replacement = try AuthKeyHash.make(authKey: next) } catch { throw store.mapped(error, "hash authKey") }
        try throttle.check(account: session.userName, address: address)

        let now = clock.now()
        let key = current
        let revokeOthers = request.revokeOtherDevices
        let result = try await store.write("change password") { db -> Result<[Int64], APIError> in
            let stored = try Self.storedCredentials(ofUser: session.userID, in: db)
            let verdict = try self.verifyAuthKey(
                key, against: stored, account: session.userName, address: address, auditUserID: session.userID,
                deviceID: session.deviceID, at: now, in: db)
            if case .failure(let error) = verdict { return .failure(error) }
            try db.execute(
                """
                UPDATE user_credentials SET kdf_n = ?, kdf_r = ?, kdf_p = ?, kdf_salt = ?, auth_salt = ?, auth_hash = ?,
                    wrapped_x25519 = ?, wrapped_ed25519 = ?, password_changed_at = ?
                WHERE user_id = ?
                """,
                [
                    Int64(kdf.n), Int64(kdf.r), Int64(kdf.p), kdf.salt.bytes, replacement.salt, replacement.hash,
                    wrapped.x25519.bytes, wrapped.ed25519.bytes, now, session.userID,
                ])
            try AuditLog.record(.passwordChanged, at: now, userID: session.userID, deviceID: session.deviceID, actor: .user, in: db)
            guard revokeOthers else { return .success([]) }
            let others = try db.fetchValues(
                "SELECT id FROM devices WHERE user_id = ? AND id != ? ORDER BY id", [session.userID, session.deviceID], as: Int64.self)
            for id in others {
                try db.execute("DELETE FROM devices WHERE id = ?", [id])
                try AuditLog.record(.deviceRevoked, at: now, userID: session.userID, deviceID: id, actor: .user, in: db)
            }
            return .success(others)
        }
        switch result {
        case .failure(let error):
            throw error
        case .success(let revoked):
            if !revoked.isEmpty { authenticator.invalidate(devices: Set(revoked)) }
            return PasswordChangeResponse(revokedDevices: revoked.count)
        }
    }
}
