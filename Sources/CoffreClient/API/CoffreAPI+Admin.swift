import CoffreProtocol

/// The admin routes (docs/protocol.md, "Administration"); they need an admin token or a device
/// token with the `admin` scope.
extension CoffreAPI {
    /// `POST /v1/admin/users`: a new user and their single-use invite.
    public func createUser(_ request: CreateUserRequest) async throws(APIClientError) -> CreateUserResponse {
        try await call(.post, AccountsPath.adminUsers, body: request, expecting: 201)
    }

    /// `GET /v1/admin/users`: every user, by name.
    public func users() async throws(APIClientError) -> UserList {
        try await call(.get, AccountsPath.adminUsers)
    }

    /// `GET /v1/admin/users/{name}`: a user, their devices and pending invite.
    public func user(_ name: UserName) async throws(APIClientError) -> UserDetail {
        try await call(.get, AccountsPath.adminUser(name.rawValue))
    }

    /// `DELETE /v1/admin/users/{name}`: erases the user and everything about them.
    public func deleteUser(_ name: UserName) async throws(APIClientError) {
        try await callWithoutContent(.delete, AccountsPath.adminUser(name.rawValue))
    }

    /// `POST /v1/admin/users/{name}/disable` or `/enable`.
    public func setUser(_ name: UserName, disabled: Bool) async throws(APIClientError) -> UserInfo {
        let target = disabled ? AccountsPath.adminUserDisable(name.rawValue) : AccountsPath.adminUserEnable(name.rawValue)
        return try await call(.post, target)
    }

    /// `PUT /v1/admin/users/{name}/quota`; nil makes the user unlimited.
    public func setQuota(of name: UserName, bytes: Int64?) async throws(APIClientError) -> UserInfo {
        try await call(.put, AccountsPath.adminUserQuota(name.rawValue), body: SetQuotaRequest(quotaBytes: bytes))
    }

    /// `POST /v1/admin/users/{name}/invite`: a new invite; older ones stop working.
    public func reissueInvite(for name: UserName, validSeconds: Int64? = nil) async throws(APIClientError) -> InviteInfo {
        try await call(
            .post, AccountsPath.adminUserInvite(name.rawValue), body: ReissueInviteRequest(inviteValidSeconds: validSeconds),
            expecting: 201)
    }

    /// `GET /v1/admin/devices`: every user's devices, or one user's.
    public func allDevices(of name: UserName? = nil) async throws(APIClientError) -> DeviceList {
        try await call(.get, AccountsPath.adminDevices + APIQuery().adding("user", name?.rawValue).text)
    }

    /// `DELETE /v1/admin/devices/{id}`: revokes any device.
    public func revokeAnyDevice(_ id: Int64) async throws(APIClientError) {
        try await callWithoutContent(.delete, AccountsPath.adminDevice(id))
    }

    /// `GET /v1/admin/audit`: one page of the audit log, newest first.
    public func auditLog(
        user: UserName? = nil, since: Int64? = nil, before: Int64? = nil, limit: Int? = nil
    ) async throws(APIClientError) -> AuditPage {
        let query = APIQuery().adding("user", user?.rawValue).adding("since", since).adding("before", before).adding("limit", limit)
        return try await call(.get, AccountsPath.adminAudit + query.text)
    }

    /// `GET /v1/admin/throttle`: failed-login throttling as it stands.
    public func throttleStatus() async throws(APIClientError) -> ThrottleStatus {
        try await call(.get, AccountsPath.adminThrottle)
    }

    /// `DELETE /v1/admin/throttle` (every name and address) or
    /// `DELETE /v1/admin/throttle/accounts/{name}` (one name).
    public func clearThrottle(_ name: String? = nil) async throws(APIClientError) {
        let target = name.map { AccountsPath.adminThrottleAccount(APIQuery.percentEncoded($0)) } ?? AccountsPath.adminThrottle
        try await callWithoutContent(.delete, target)
    }

    /// `POST /v1/admin/tokens`: a new admin token, shown once.
    public func createAdminToken(name: String) async throws(APIClientError) -> CreateAdminTokenResponse {
        try await call(.post, AccountsPath.adminTokens, body: CreateAdminTokenRequest(name: name), expecting: 201)
    }

    /// `GET /v1/admin/tokens`.
    public func adminTokens() async throws(APIClientError) -> AdminTokenList {
        try await call(.get, AccountsPath.adminTokens)
    }

    /// `DELETE /v1/admin/tokens/{id}`; a token may revoke itself.
    public func revokeAdminToken(_ id: Int64) async throws(APIClientError) {
        try await callWithoutContent(.delete, AccountsPath.adminToken(id))
    }

    /// `GET /v1/admin/stats`.
    public func stats() async throws(APIClientError) -> ServerStats {
        try await call(.get, AccountsPath.adminStats)
    }
}
