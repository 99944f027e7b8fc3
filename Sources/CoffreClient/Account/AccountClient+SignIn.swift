import CoffreCrypto
import CoffreProtocol

/// Creating the account from an invite, and logging in a new device.
extension AccountClient {
    /// What `setup` and `login` need besides the password.
    public struct SignInOptions: Sendable {
        /// The server.
        public var server: ServerURL
        /// The user name.
        public var userName: UserName
        /// The name of this device in device lists.
        public var deviceName: String
        /// A CA file to verify the server's certificate with, instead of pinning it.
        public var caFile: String?
        /// The KDF cost to create the account with, and the floor accepted at login.
        public var cost: KDFCost

        /// Options as given.
        public init(server: ServerURL, userName: UserName, deviceName: String, caFile: String? = nil, cost: KDFCost = .standard) {
            self.server = server
            self.userName = userName
            self.deviceName = deviceName
            self.caFile = caFile
            self.cost = cost
        }
    }

    /// Redeems `inviteCode`: chooses the KDF parameters (fresh salt), derives the keys,
    /// generates the X25519 and Ed25519 key pairs, registers the public keys and the wrapped
    /// private keys, logs this device in and stores its state.
    public func setup(_ options: SignInOptions, inviteCode: String, password: String) async throws(AccountError) -> SignIn {
        try checkSetupIsPossible(inviteCode: inviteCode)
        try PasswordInput.checkNewPassword(password)
        let connection = try await connect(options, pinned: nil)
        let parameters = try options.cost.newParameters()
        let keys = try Self.derive(password, parameters, policy: options.cost.policy)
        let material = try Self.newKeyMaterial(wrappedWith: keys)
        let api = CoffreAPI(transport: connection.transport)
        do {
            _ = try await api.register(
                RegisterRequest(
                    userName: options.userName.rawValue, inviteCode: inviteCode, kdf: parameters.wire, authKey: Array(keys.authKey),
                    keys: material))
        } catch {
            throw .api(error)
        }
        let login = try await logIn(api, options, authKey: keys.authKey)
        guard login.keys == material else {
            throw .keysRejected(reason: "the server returned other keys than the ones just registered")
        }
        let state = AccountState(
            server: options.server, pinnedCertificateSHA256: connection.pin, caFile: connection.caFile, login: login,
            kdf: parameters.wire)
        try home.save(state)
        return SignIn(state: state, user: login.user, newPin: connection.pinIsNew ? connection.pin : nil)
    }

    /// Logs this device in: pre-login, refusal of parameters below the policy (downgrade),
    /// derivation, login, then a check that the returned private keys open with this password
    /// and match the public keys. A previous login of this folder is revoked and replaced.
    public func login(_ options: SignInOptions, password: String) async throws(AccountError) -> SignIn {
        // A corrupted or unreadable old state is what login replaces, so it is not an error.
        let previous = try? home.loadState()
        let samePlace = previous.flatMap { $0.server == options.server.description ? $0 : nil }
        let connection = try await connect(options, pinned: samePlace?.pin)
        let api = CoffreAPI(transport: connection.transport)
        let wire: ScryptParameters
        do {
            wire = try await api.prelogin(userName: options.userName.rawValue)
        } catch {
            throw .api(error)
        }
        let keys = try Self.derive(password, KDFParameters(wire: wire), policy: options.cost.policy)
        let login = try await logIn(api, options, authKey: keys.authKey)
        do {
            // The server accepted the authKey, so keys that do not open were altered.
            try Self.openPrivateKeys(
                login.keys, with: keys, unopenable: .keysRejected(reason: "the wrapped private keys do not open with this password"))
        } catch {
            // Leave no device behind for keys that cannot be used.
            try? await CoffreAPI(transport: connection.transport, token: login.token).logout()
            throw error
        }
        if let samePlace, samePlace.deviceID != login.device.id {
            // This folder is one device: its older login is revoked (it may be already).
            try? await CoffreAPI(transport: connection.transport, token: samePlace.token).logout()
        }
        let state = AccountState(
            server: options.server, pinnedCertificateSHA256: connection.pin, caFile: connection.caFile, login: login, kdf: wire)
        try home.save(state)
        return SignIn(state: state, user: login.user, newPin: connection.pinIsNew ? connection.pin : nil)
    }

    /// Refuses a folder that already holds an account, or a malformed invite code: checked
    /// before the password is asked, and again by `setup`.
    public func checkSetupIsPossible(inviteCode: String) throws(AccountError) {
        if let existing = try home.loadState() {
            throw .alreadySignedIn(detail: "\(existing.userName) on \(existing.server)")
        }
        try Self.checkInviteCode(inviteCode)
    }

    // MARK: Steps

    private func connect(_ options: SignInOptions, pinned: [UInt8]?) async throws(AccountError) -> ServerConnection {
        do {
            return try await ServerConnection.open(options.server, pinned: pinned, caFile: options.caFile, factory: makeTransport)
        } catch {
            throw .api(error)
        }
    }

    private func logIn(_ api: CoffreAPI, _ options: SignInOptions, authKey: SecretBytes) async throws(AccountError) -> LoginResponse {
        do {
            return try await api.login(
                LoginRequest(userName: options.userName.rawValue, authKey: Array(authKey), deviceName: options.deviceName, scopes: [.sync]))
        } catch {
            throw AccountError.fromDeviceCall(error)
        }
    }

    /// An invite code is `cfi_` and base64url text; checked before anything is derived.
    static func checkInviteCode(_ code: String) throws(AccountError) {
        let body = code.utf8.dropFirst(4)
        guard code.hasPrefix("cfi_"), (1...124).contains(body.count),
            body.allSatisfy({ byte in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            })
        else { throw .invalidArgument("--invite: an invite code looks like cfi_… (as coffre-admin printed it)") }
    }
}
