import CoffreCrypto
import CoffreProtocol
import SQLiteStore

extension Accounts {
    /// Label of the fake pre-login salt: `HMAC(secret, "coffre/v1/prelogin" ‖ name)`.
    static let preloginLabel = "coffre/v1/prelogin"

    /// The KDF parameters for `request.userName`: the account's own once it is registered;
    /// otherwise (no such user, or invite not redeemed yet) the standard cost with a salt derived
    /// from the server's secret and the name — stable across calls and restarts, and shaped
    /// exactly like a real one, so the answer does not reveal whether the account exists. Both
    /// paths do the same query and the same HMAC.
    public func prelogin(_ request: PreloginRequest) async throws(APIError) -> PreloginResponse {
        let name = try AccountRequestChecks.userName(request.userName)
        let fake: [UInt8]
        do {
            var message = Array(Self.preloginLabel.utf8)
            message.append(contentsOf: name.rawValue.utf8)
            fake = Array(try HMACSHA256.authenticationCode(for: message, key: preloginSecret).prefix(ScryptParameters.saltByteCount))
        } catch {
            throw store.mapped(error, "derive pre-login salt")
        }
        let real = try await store.read("prelogin") { db -> ScryptParameters? in
            guard let id = try db.fetchValue("SELECT id FROM users WHERE name = ?", [name.rawValue], as: Int64.self) else {
                return nil
            }
            return try AccountRows.kdf(ofUser: id, in: db)
        }
        let standard = AccountRules.standardKDFCost
        return PreloginResponse(kdf: real ?? ScryptParameters(n: standard.n, r: standard.r, p: standard.p, salt: fake))
    }

    /// Redeems an invite: stores the KDF parameters, the authKey's salted hash and the key
    /// material, and consumes every invite of the user. Throws `invalid_invite` for an unknown or
    /// used code or one issued for another name, `invite_expired`, or field errors.
    public func register(_ request: RegisterRequest) async throws(APIError) -> UserInfo {
        let name = try AccountRequestChecks.userName(request.userName)
        let kdf = try AccountRequestChecks.kdf(request.kdf)
        var authKey = try AccountRequestChecks.authKey(request.authKey, field: "authKey")
        defer { SecretBytes.wipe(&authKey) }
        let keys = try AccountRequestChecks.keyMaterial(request.keys)
        guard SecretToken.hasShape(request.inviteCode, of: .invite) else { throw .invalidInvite }
        let codeHash: [UInt8]
        let stored: (salt: [UInt8], hash: [UInt8])
        do {
            codeHash = try SecretToken.hash(request.inviteCode)
            stored = try AuthKeyHash.make(authKey: authKey)
        } catch {
            throw store.mapped(error, "hash registration secrets")
        }
        let now = clock.now()
        return try await store.write("register") { db in
            let invite = try db.fetchOne(
                "SELECT i.user_id, i.expires_at, u.name FROM invites i JOIN users u ON u.id = i.user_id WHERE i.code_hash = ?",
                [codeHash]
            ) { row in (userID: try row.int64(at: 0), expiresAt: try row.int64(at: 1), name: try row.string(at: 2)) }
            guard let invite, invite.name == name.rawValue else { throw APIError.invalidInvite }
            guard now < invite.expiresAt else { throw APIError.inviteExpired }
            try db.execute(
                """
                INSERT INTO user_credentials(user_id, kdf_n, kdf_r, kdf_p, kdf_salt, auth_salt, auth_hash,
                    x25519_public, ed25519_public, wrapped_x25519, wrapped_ed25519, registered_at, password_changed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    invite.userID, Int64(kdf.n), Int64(kdf.r), Int64(kdf.p), kdf.salt.bytes, stored.salt, stored.hash,
                    keys.x25519PublicKey.bytes, keys.ed25519PublicKey.bytes, keys.wrappedX25519PrivateKey.bytes,
                    keys.wrappedEd25519PrivateKey.bytes, now, now,
                ])
            try db.execute("DELETE FROM invites WHERE user_id = ?", [invite.userID])
            try AuditLog.record(.inviteRedeemed, at: now, userID: invite.userID, actor: .user, in: db)
            guard let user = try AccountRows.user(id: invite.userID, in: db) else { throw APIError.invalidInvite }
            return user
        }
    }
}
