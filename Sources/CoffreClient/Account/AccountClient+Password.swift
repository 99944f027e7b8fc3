import CoffreCrypto
import CoffreProtocol

/// `coffre password change`.
extension AccountClient {
    /// Changes the password: the current one is checked locally first (the account's wrapped
    /// keys must open with it, so a typo costs no server attempt), then new KDF parameters
    /// with a fresh salt are chosen, the same private keys are re-wrapped under the new kek,
    /// and the server replaces the authKey hash. With `revokeOtherDevices` every other device
    /// is signed out. The stored state gets the new parameters and wrapped keys.
    public func changePassword(
        current: String, new: String, cost: KDFCost, revokeOtherDevices: Bool
    ) async throws(AccountError) -> PasswordChangeResponse {
        try PasswordInput.checkNewPassword(new)
        guard new != current else { throw .password("the new password is the same as the current one") }
        var (state, api) = try await signedInAPI()
        let wire: ScryptParameters
        let account: AccountResponse
        do {
            wire = try await api.prelogin(userName: state.userName)
            account = try await api.account()
        } catch {
            throw AccountError.fromDeviceCall(error)
        }
        let currentKeys = try Self.derive(current, KDFParameters(wire: wire), policy: cost.policy)
        // Before the server has checked anything, keys that do not open mean a wrong password.
        let privateKeys = try Self.openPrivateKeys(account.keys, with: currentKeys, unopenable: .wrongPassword)
        let parameters = try cost.newParameters()
        let newKeys = try Self.derive(new, parameters, policy: cost.policy)
        let wrapped: WrappedPrivateKeys
        do {
            wrapped = WrappedPrivateKeys(x25519: try newKeys.wrap(privateKeys.agreement), ed25519: try newKeys.wrap(privateKeys.signing))
        } catch {
            throw .crypto(error.description)
        }
        let answer: PasswordChangeResponse
        do {
            answer = try await api.changePassword(
                PasswordChangeRequest(
                    currentAuthKey: Array(currentKeys.authKey), kdf: parameters.wire, authKey: Array(newKeys.authKey),
                    wrappedPrivateKeys: wrapped, revokeOtherDevices: revokeOtherDevices))
        } catch {
            throw AccountError.fromDeviceCall(error)
        }
        state.kdf = parameters.wire
        state.keys.wrappedX25519PrivateKey = wrapped.x25519
        state.keys.wrappedEd25519PrivateKey = wrapped.ed25519
        try home.save(state)
        return answer
    }
}
