import CoffreCrypto
import CoffreProtocol

/// The account commands of one device (`coffre account setup`, `login`, `logout`, `whoami`,
/// `devices`, `password change`): each talks to the server through `CoffreAPI` and keeps the
/// device's state in its `ClientHome`.
///
/// Passwords come in as arguments (see `PasswordInput`); only keys derived from them leave
/// this type, and only the authKey leaves the machine.
public struct AccountClient: Sendable {
    /// Where this device's state lives.
    public let home: ClientHome
    /// Makes transports to servers.
    public let makeTransport: APITransportFactory

    /// A client for the device whose state is in `home`.
    public init(home: ClientHome, makeTransport: @escaping APITransportFactory) {
        self.home = home
        self.makeTransport = makeTransport
    }

    /// What `whoami` shows: the stored state and the server's view of the account.
    public struct Identity: Sendable {
        /// The device's stored state.
        public let state: AccountState
        /// The server's answer.
        public let account: AccountResponse
    }

    /// A finished setup or login: the stored state and whether the certificate pin is new.
    public struct SignIn: Sendable {
        /// What was stored.
        public let state: AccountState
        /// The account as the server described it.
        public let user: UserInfo
        /// The certificate fingerprint learned on first use, to show; nil otherwise.
        public let newPin: [UInt8]?
    }

    /// `GET /v1/account` for this device; also checks that the server still reports the
    /// public keys this device stored (a server swapping them is refused).
    public func whoami() async throws(AccountError) -> Identity {
        let (state, api) = try await signedInAPI()
        let account: AccountResponse
        do {
            account = try await api.account()
        } catch {
            throw AccountError.fromDeviceCall(error)
        }
        guard account.keys.x25519PublicKey == state.keys.x25519PublicKey, account.keys.ed25519PublicKey == state.keys.ed25519PublicKey else {
            throw .keysRejected(reason: "the server reports other public keys than the ones this device stored")
        }
        return Identity(state: state, account: account)
    }

    /// The account's devices.
    public func devices() async throws(AccountError) -> DeviceList {
        let (_, api) = try await signedInAPI()
        do {
            return try await api.devices()
        } catch {
            throw AccountError.fromDeviceCall(error)
        }
    }

    /// Revokes another device of the account; this device signs out with `logout` instead.
    public func revokeDevice(_ id: Int64) async throws(AccountError) {
        let (state, api) = try await signedInAPI()
        guard id != state.deviceID else { throw .invalidArgument("device \(id) is this device; use coffre logout") }
        do {
            try await api.revokeDevice(id)
        } catch {
            throw AccountError.fromDeviceCall(error)
        }
    }

    /// Revokes this device's token and removes its state. A token the server no longer knows
    /// counts as signed out already. When the server cannot be reached nothing changes.
    public func logout() async throws(AccountError) -> AccountState {
        let (state, api) = try await signedInAPI()
        do {
            try await api.logout()
        } catch {
            // Already revoked (by another device, an administrator or a password change): the
            // goal is reached; anything else leaves the state in place.
            guard error.code == .unauthenticated else { throw .api(error) }
        }
        try home.removeState()
        return state
    }

    /// The stored state and an API client authenticated as this device, over the stored trust.
    func signedInAPI() async throws(AccountError) -> (AccountState, CoffreAPI) {
        let state = try home.requireState()
        do {
            let connection = try await ServerConnection.open(
                try state.serverURL, pinned: state.pin, caFile: state.caFile, factory: makeTransport)
            return (state, CoffreAPI(transport: connection.transport, token: state.token))
        } catch {
            throw .api(error)
        }
    }
}
