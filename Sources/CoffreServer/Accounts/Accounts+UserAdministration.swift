import CoffreProtocol
import SQLiteStore

extension Accounts {
    /// Creates a user and a single-use invite for them. The quota is `request.quotaBytes`, or
    /// the configured default. Throws `user_exists` for a taken name.
    public func createUser(_ request: CreateUserRequest, by admin: AdminActor) async throws(APIError) -> CreateUserResponse {
        let name = try AccountRequestChecks.userName(request.userName)
        let quota = try AccountRequestChecks.quota(request.quotaBytes) ?? settings.defaultQuotaBytes
        let validity = try AccountRequestChecks.inviteValidity(request.inviteValidSeconds)
        let (code, codeHash) = try newInviteCode()
        let now = clock.now()
        let isAdmin = request.isAdmin ?? false
        return try await store.write("create user") { db in
            guard try db.fetchValue("SELECT 1 FROM users WHERE name = ?", [name.rawValue], as: Int64.self) == nil else {
                throw APIError.userExists
            }
            try db.execute(
                "INSERT INTO users(name, is_admin, created_at, quota_bytes) VALUES (?, ?, ?, ?)",
                [name.rawValue, isAdmin, now, quota])
            let userID = try db.lastInsertRowID
            let invite = try Self.insertInvite(
                code: code, hash: codeHash, userID: userID, userName: name.rawValue, now: now, validity: validity, admin: admin, in: db)
            guard let user = try AccountRows.user(id: userID, in: db) else { throw APIError.internalError }
            return CreateUserResponse(user: user, invite: invite)
        }
    }

    /// A new invite for a user who has not registered; earlier invites stop working. Throws
    /// `already_registered` otherwise.
    public func reissueInvite(
        forUser name: String, _ request: ReissueInviteRequest, by admin: AdminActor
    ) async throws(APIError) -> InviteInfo {
        let name = try AccountRequestChecks.userName(name, field: "name")
        let validity = try AccountRequestChecks.inviteValidity(request.inviteValidSeconds)
        let (code, codeHash) = try newInviteCode()
        let now = clock.now()
        return try await store.write("reissue invite") { db in
            let user = try AccountRows.existingUser(named: name.rawValue, in: db)
            guard !user.isRegistered else { throw APIError.alreadyRegistered }
            try db.execute("DELETE FROM invites WHERE user_id = ?", [user.id])
            return try Self.insertInvite(
                code: code, hash: codeHash, userID: user.id, userName: user.name, now: now, validity: validity, admin: admin, in: db)
        }
    }

    /// Every user, by name.
    public func listUsers() async throws(APIError) -> UserList {
        try await store.read("list users") { db in
            UserList(users: try db.fetchAll("SELECT \(AccountRows.userColumns) FROM \(AccountRows.userSource) ORDER BY u.name", [], AccountRows.user))
        }
    }

    /// One user with their devices and pending invite.
    public func userDetail(named name: String) async throws(APIError) -> UserDetail {
        let name = try AccountRequestChecks.userName(name, field: "name")
        return try await store.read("show user") { db in
            let user = try AccountRows.existingUser(named: name.rawValue, in: db)
            let expiry = try db.fetchValue("SELECT max(expires_at) FROM invites WHERE user_id = ?", [user.id], as: Int64?.self) ?? nil
            return UserDetail(
                user: user, devices: try AccountRows.devices(ofUser: user.id, currentDeviceID: nil, in: db), inviteExpiresAt: expiry)
        }
    }

    /// Disables (`disabled` true) or enables a user. A disabled user's tokens are refused at
    /// once (they stay valid for when the account is enabled again) and login answers
    /// `account_disabled`.
    public func setUser(named name: String, disabled: Bool, by admin: AdminActor) async throws(APIError) -> UserInfo {
        let name = try AccountRequestChecks.userName(name, field: "name")
        let now = clock.now()
        let user = try await store.write("disable or enable user") { db in
            let user = try AccountRows.existingUser(named: name.rawValue, in: db)
            guard user.isDisabled != disabled else { return user }
            try db.execute("UPDATE users SET is_disabled = ? WHERE id = ?", [disabled, user.id])
            try AuditLog.record(disabled ? .userDisabled : .userEnabled, at: now, userID: user.id, actor: .admin(admin), in: db)
            guard let updated = try AccountRows.user(id: user.id, in: db) else { throw APIError.internalError }
            return updated
        }
        if disabled { authenticator.invalidate(user: user.id) }
        return user
    }

    /// Sets a user's quota (nil = unlimited). Usage above a lowered quota is kept; new
    /// reservations are refused until it is back under.
    public func setQuota(ofUser name: String, _ request: SetQuotaRequest, by admin: AdminActor) async throws(APIError) -> UserInfo {
        let name = try AccountRequestChecks.userName(name, field: "name")
        let quota = try AccountRequestChecks.quota(request.quotaBytes)
        let now = clock.now()
        return try await store.write("set quota") { db in
            let user = try AccountRows.existingUser(named: name.rawValue, in: db)
            try db.execute("UPDATE users SET quota_bytes = ? WHERE id = ?", [quota, user.id])
            try AuditLog.record(
                .quotaChanged, at: now, userID: user.id, actor: .admin(admin), detail: quota.map(String.init) ?? "unlimited", in: db)
            guard let updated = try AccountRows.user(id: user.id, in: db) else { throw APIError.internalError }
            return updated
        }
    }

    /// Every device, or one user's.
    public func listDevices(ofUser name: String?) async throws(APIError) -> DeviceList {
        let name = try name.map { (text: String) throws(APIError) in try AccountRequestChecks.userName(text, field: "user") }
        return try await store.read("list all devices") { db in
            if let name {
                let user = try AccountRows.existingUser(named: name.rawValue, in: db)
                return DeviceList(devices: try AccountRows.devices(ofUser: user.id, currentDeviceID: nil, in: db))
            }
            return DeviceList(
                devices: try db.fetchAll(
                    "SELECT \(AccountRows.deviceColumns) FROM \(AccountRows.deviceSource) ORDER BY d.id", []
                ) { try AccountRows.device($0, currentDeviceID: nil) })
        }
    }

    /// Revokes any device.
    public func revokeDevice(_ deviceID: Int64, by admin: AdminActor) async throws(APIError) {
        let owner = try await store.read("find device") { db in
            try db.fetchValue("SELECT user_id FROM devices WHERE id = ?", [deviceID], as: Int64.self)
        }
        guard let owner else { throw .notFound("device") }
        try await revokeDevices([deviceID], ofUser: owner, actor: .admin(admin))
    }

    /// The audit log, optionally about one user.
    public func audit(user name: String?, since: Int64?, before: Int64?, limit: Int?) async throws(APIError) -> AuditPage {
        let name = try name.map { (text: String) throws(APIError) in try AccountRequestChecks.userName(text, field: "user") }
        let size = try Self.pageSize(limit)
        return try await store.read("read audit") { db in
            var userID: Int64?
            if let name { userID = try AccountRows.existingUser(named: name.rawValue, in: db).id }
            return try AuditLog.page(AuditLog.Query(userID: userID, since: since, before: before, limit: size), in: db)
        }
    }

    private func newInviteCode() throws(APIError) -> (String, [UInt8]) {
        do {
            let code = try SecretToken.generate(.invite)
            return (code, try SecretToken.hash(code))
        } catch {
            throw store.mapped(error, "generate invite code")
        }
    }

    private static func insertInvite(
        code: String, hash: [UInt8], userID: Int64, userName: String, now: Int64, validity: Int64, admin: AdminActor,
        in db: Connection
    ) throws -> InviteInfo {
        try db.execute(
            "INSERT INTO invites(user_id, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
            [userID, hash, now, now + validity])
        try AuditLog.record(.inviteCreated, at: now, userID: userID, actor: .admin(admin), in: db)
        return InviteInfo(code: code, userName: userName, expiresAt: now + validity)
    }
}
