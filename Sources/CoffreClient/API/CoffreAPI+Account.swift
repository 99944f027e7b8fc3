import CoffreProtocol

/// Registration, login and the caller's own account (docs/protocol.md, "Registration and
/// login", "The account").
extension CoffreAPI {
    /// `POST /v1/auth/prelogin`: the KDF parameters to derive the account's keys with. Not yet
    /// trusted: check them against the client's `KDFPolicy` before deriving.
    public func prelogin(userName: String) async throws(APIClientError) -> ScryptParameters {
        let answer: PreloginResponse = try await call(.post, AccountsPath.prelogin, body: PreloginRequest(userName: userName))
        return answer.kdf
    }

    /// `POST /v1/auth/register`: redeems an invite.
    public func register(_ request: RegisterRequest) async throws(APIClientError) -> UserInfo {
        try await call(.post, AccountsPath.register, body: request, expecting: 201)
    }

    /// `POST /v1/auth/login`: creates a device; its token is in the answer, shown only once.
    public func login(_ request: LoginRequest) async throws(APIClientError) -> LoginResponse {
        try await call(.post, AccountsPath.login, body: request, expecting: 201)
    }

    /// `POST /v1/auth/logout`: revokes the calling token.
    public func logout() async throws(APIClientError) {
        try await callWithoutContent(.post, AccountsPath.logout)
    }

    /// `GET /v1/account`: the user, device, scopes and keys behind the token.
    public func account() async throws(APIClientError) -> AccountResponse {
        try await call(.get, AccountsPath.account)
    }

    /// `GET /v1/account/devices`: the caller's devices, the calling one marked `isCurrent`.
    public func devices() async throws(APIClientError) -> DeviceList {
        try await call(.get, AccountsPath.devices)
    }

    /// `DELETE /v1/account/devices/{id}`: revokes one of the caller's devices.
    public func revokeDevice(_ id: Int64) async throws(APIClientError) {
        try await callWithoutContent(.delete, AccountsPath.device(id))
    }

    /// `POST /v1/account/password`: new KDF parameters, authKey and re-wrapped private keys.
    public func changePassword(_ request: PasswordChangeRequest) async throws(APIClientError) -> PasswordChangeResponse {
        try await call(.post, AccountsPath.password, body: request)
    }

    /// `GET /v1/account/audit`: one page of the caller's audit trail, newest first.
    public func audit(since: Int64? = nil, before: Int64? = nil, limit: Int? = nil) async throws(APIClientError) -> AuditPage {
        let query = APIQuery().adding("since", since).adding("before", before).adding("limit", limit)
        return try await call(.get, AccountsPath.audit + query.text)
    }

    /// `POST /v1/account/delete`: erases the account; needs the authKey again.
    public func deleteAccount(authKey: [UInt8]) async throws(APIClientError) {
        try await callWithoutContent(.post, AccountsPath.delete, body: AccountDeletionRequest(authKey: authKey))
    }
}
