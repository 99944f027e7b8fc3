/// `coffre-export/account.json` in an account export (`GET /v1/account/export`, a tar
/// stream): everything the server holds about the account itself. What it does not hold
/// cannot be exported: no password, no authKey (only a salted hash, left out as it is useless
/// to the user), no token (only hashes, also left out).
public struct AccountExport: Codable, Sendable, Equatable {
    /// Version of this document's layout: 1.
    public var formatVersion: Int
    /// When the export was made (Unix seconds).
    public var exportedAt: Int64
    /// The account with its quota and usage.
    public var user: UserInfo
    /// When the invite was redeemed.
    public var registeredAt: Int64
    /// When the password last changed.
    public var passwordChangedAt: Int64
    /// The KDF parameters and salt.
    public var kdf: ScryptParameters
    /// Public keys and wrapped private keys.
    public var keys: AccountKeyMaterial

    /// A value with the given fields.
    public init(
        formatVersion: Int, exportedAt: Int64, user: UserInfo, registeredAt: Int64, passwordChangedAt: Int64,
        kdf: ScryptParameters, keys: AccountKeyMaterial
    ) {
        self.formatVersion = formatVersion
        self.exportedAt = exportedAt
        self.user = user
        self.registeredAt = registeredAt
        self.passwordChangedAt = passwordChangedAt
        self.kdf = kdf
        self.keys = keys
    }
}
