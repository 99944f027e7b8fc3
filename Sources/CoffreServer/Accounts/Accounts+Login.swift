import CoffreCrypto
import CoffreProtocol
import SQLiteStore

extension Accounts {
    /// What the login transaction decided; failures are returned, not thrown, so the failure's
    /// own writes (counter, audit entry) commit.
    private enum LoginOutcome: Sendable {
        case succeeded(LoginResponse)
        /// Throttled, wrong credentials, or a right authKey for a login that is not allowed
        /// (disabled account, admin scope, device limit).
        case failed(APIError)
    }

    /// Checks `request.authKey` and creates a device with a new bearer token.
    ///
    /// `address` is the client's address (raw bytes) for throttling only; it is never stored.
    /// Unknown names, invited-but-unregistered names and wrong keys all answer
    /// `invalid_credentials` after the same work: one query, one HMAC, one constant-time
    /// comparison and one write (a failure counter, plus an audit entry when the account exists).
    public func login(_ request: LoginRequest, from address: [UInt8]?) async throws(APIError) -> LoginResponse {
        let name = try AccountRequestChecks.userName(request.userName)
        var authKey = try AccountRequestChecks.authKey(request.authKey, field: "authKey")
        defer { SecretBytes.wipe(&authKey) }
        let deviceName = try AccountRequestChecks.label(request.deviceName, field: "deviceName")
        let scopes = try AccountRequestChecks.scopes(request.scopes)
        try throttle.check(account: name.rawValue, address: address)

        let token: String
        let tokenHash: [UInt8]
        do {
            token = try SecretToken.generate(.device)
            tokenHash = try SecretToken.hash(token)
        } catch {
            throw store.mapped(error, "generate device token")
        }
        let now = clock.now()
        let key = authKey
        let outcome = try await store.write("login") { db -> LoginOutcome in
            let stored = try Self.storedCredentials(named: name.rawValue, in: db)
            let existing = try db.fetchValue("SELECT id FROM users WHERE name = ?", [name.rawValue], as: Int64.self)
            let verdict = try self.verifyAuthKey(
                key, against: stored, account: name.rawValue, address: address, auditUserID: existing, deviceID: nil, at: now, in: db)
            let candidate: StoredCredentials
            switch verdict {
            case .success(let found): candidate = found
            case .failure(let error): return .failed(error)
            }
            if candidate.isDisabled { return .failed(.accountDisabled) }
            if scopes.contains(.admin) && !candidate.isAdmin { return .failed(.scopeNotAllowed) }
            let count = try db.fetchValue("SELECT count(*) FROM devices WHERE user_id = ?", [candidate.userID], as: Int.self) ?? 0
            guard count < AccountRules.maximumDevicesPerUser else {
                return .failed(.tooMany("devices", limit: AccountRules.maximumDevicesPerUser))
            }
            let minute = now - now % TokenAuthenticator.lastSeenResolution
            try db.execute(
                "INSERT INTO devices(user_id, name, token_hash, scopes, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
                [candidate.userID, deviceName, tokenHash, ScopeBits.encode(scopes), now, minute])
            let deviceID = try db.lastInsertRowID
            try AuditLog.record(.loginSucceeded, at: now, userID: candidate.userID, deviceID: deviceID, actor: .user, in: db)
            try AuditLog.record(
                .deviceCreated, at: now, userID: candidate.userID, deviceID: deviceID, actor: .user, detail: deviceName, in: db)
            guard let user = try AccountRows.user(id: candidate.userID, in: db),
                let keys = try AccountRows.keyMaterial(ofUser: candidate.userID, in: db),
                let device = try AccountRows.device(id: deviceID, ofUser: candidate.userID, currentDeviceID: deviceID, in: db)
            else { throw APIError.internalError }
            return .succeeded(LoginResponse(token: token, device: device, user: user, keys: keys))
        }
        switch outcome {
        case .succeeded(let response): return response
        case .failed(let error): throw error
        }
    }

    /// The authKey check shared by login, password change and account deletion, run inside
    /// their write transaction (so attempts are checked one at a time, see `LoginThrottle`):
    /// the throttle, the constant-time comparison (dummy work when `stored` is nil), and on
    /// failure the failure counter, an audit entry when `auditUserID` is known, and the throttle
    /// count. Unknown and known names take the same path up to the audit insert.
    func verifyAuthKey(
        _ key: [UInt8], against stored: StoredCredentials?, account: String, address: [UInt8]?, auditUserID: Int64?,
        deviceID: Int64?, at now: Int64, in db: Connection
    ) throws -> Result<StoredCredentials, APIError> {
        do {
            try throttle.check(account: account, address: address)
        } catch {
            return .failure(error)
        }
        guard try AuthKeyHash.verify(authKey: key, stored: stored.map { ($0.salt, $0.hash) }), let stored else {
            try db.incrementCounter("failed_logins")
            if let auditUserID {
                try AuditLog.record(.loginFailed, at: now, userID: auditUserID, deviceID: deviceID, actor: .user, in: db)
            }
            throttle.recordFailure(account: account, address: address)
            return .failure(.invalidCredentials)
        }
        throttle.recordSuccess(account: account)
        return .success(stored)
    }

    /// Revokes the calling device (its token stops working at once).
    public func logout(_ session: DeviceSession) async throws(APIError) {
        try await revokeDevices(Set([session.deviceID]), ofUser: session.userID, actor: .user)
    }

    /// A registered user's stored credentials, by name.
    struct StoredCredentials: Sendable {
        let userID: Int64
        let isAdmin: Bool
        let isDisabled: Bool
        let salt: [UInt8]
        let hash: [UInt8]
    }

    static func storedCredentials(named name: String, in db: Connection) throws -> StoredCredentials? {
        try db.fetchOne(credentialsQuery + " WHERE u.name = ?", [name], credentials)
    }

    static func storedCredentials(ofUser userID: Int64, in db: Connection) throws -> StoredCredentials? {
        try db.fetchOne(credentialsQuery + " WHERE u.id = ?", [userID], credentials)
    }

    private static let credentialsQuery = """
        SELECT u.id, u.is_admin, u.is_disabled, c.auth_salt, c.auth_hash
        FROM users u JOIN user_credentials c ON c.user_id = u.id
        """

    private static func credentials(_ row: Row) throws -> StoredCredentials {
        StoredCredentials(
            userID: try row.int64(at: 0), isAdmin: try Bool.read(from: row, at: 1),
            isDisabled: try Bool.read(from: row, at: 2), salt: try row.blob(at: 3), hash: try row.blob(at: 4))
    }

    /// Deletes devices of `userID` (only those that belong to that user), records each
    /// revocation, and drops their tokens from the cache before returning. Throws `not_found`
    /// when none of `deviceIDs` belongs to the user.
    func revokeDevices(_ deviceIDs: Set<Int64>, ofUser userID: Int64, actor: AuditLog.Actor) async throws(APIError) {
        let now = clock.now()
        let ids = Array(deviceIDs)
        try await store.write("revoke devices") { db in
            var revoked = 0
            for id in ids {
                try db.execute("DELETE FROM devices WHERE id = ? AND user_id = ?", [id, userID])
                guard try db.changes == 1 else { continue }
                revoked += 1
                try AuditLog.record(.deviceRevoked, at: now, userID: userID, deviceID: id, actor: actor, in: db)
            }
            if revoked == 0 { throw APIError.notFound("device") }
        }
        authenticator.invalidate(devices: deviceIDs)
    }
}
