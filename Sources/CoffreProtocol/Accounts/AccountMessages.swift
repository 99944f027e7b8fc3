/// `GET /v1/account`: who the token belongs to ("whoami").
public struct AccountResponse: Codable, Sendable, Equatable {
    /// The account, with its quota and usage.
    public var user: UserInfo
    /// The device whose token made the request.
    public var device: DeviceInfo
    /// The token's scopes.
    public var scopes: [Scope]
    /// Public keys and wrapped private keys.
    public var keys: AccountKeyMaterial

    /// A value with the given fields.
    public init(user: UserInfo, device: DeviceInfo, scopes: [Scope], keys: AccountKeyMaterial) {
        self.user = user
        self.device = device
        self.scopes = scopes
        self.keys = keys
    }
}

/// `POST /v1/account/password`: replaces the password-derived values. The private keys stay the
/// same, re-wrapped under the new `kek`; the public keys do not change.
public struct PasswordChangeRequest: Codable, Sendable, Equatable {
    /// The authKey of the current password.
    public var currentAuthKey: Base64Bytes
    /// New KDF parameters, with a fresh salt.
    public var kdf: ScryptParameters
    /// The authKey of the new password.
    public var authKey: Base64Bytes
    /// The private keys wrapped under the new `kek`.
    public var wrappedPrivateKeys: WrappedPrivateKeys
    /// Revoke every other device of the account (this one stays logged in).
    public var revokeOtherDevices: Bool

    /// A value with the given fields.
    public init(
        currentAuthKey: [UInt8], kdf: ScryptParameters, authKey: [UInt8], wrappedPrivateKeys: WrappedPrivateKeys,
        revokeOtherDevices: Bool
    ) {
        self.currentAuthKey = Base64Bytes(currentAuthKey)
        self.kdf = kdf
        self.authKey = Base64Bytes(authKey)
        self.wrappedPrivateKeys = wrappedPrivateKeys
        self.revokeOtherDevices = revokeOtherDevices
    }
}

/// The result of a password change.
public struct PasswordChangeResponse: Codable, Sendable, Equatable {
    /// Number of other devices revoked (0 unless `revokeOtherDevices`).
    public var revokedDevices: Int

    /// A value with the given fields.
    public init(revokedDevices: Int) {
        self.revokedDevices = revokedDevices
    }
}

/// `POST /v1/account/delete`: erases the account and everything the server holds about it.
/// The authKey is required again, so a stolen token alone cannot delete an account.
public struct AccountDeletionRequest: Codable, Sendable, Equatable {
    /// The authKey of the current password.
    public var authKey: Base64Bytes

    /// A value with the given fields.
    public init(authKey: [UInt8]) {
        self.authKey = Base64Bytes(authKey)
    }
}
