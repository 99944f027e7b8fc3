/// `POST /v1/auth/prelogin`: which KDF parameters to use for `userName`.
public struct PreloginRequest: Codable, Sendable, Equatable {
    /// The user name (syntax of `UserName`).
    public var userName: String

    /// A value with the given fields.
    public init(userName: String) {
        self.userName = userName
    }
}

/// The answer to a pre-login: the account's KDF parameters. For a name without an account the
/// server answers stable, plausible values instead, so the answer does not tell who has one.
public struct PreloginResponse: Codable, Sendable, Equatable {
    /// scrypt parameters and salt.
    public var kdf: ScryptParameters

    /// A value with the given fields.
    public init(kdf: ScryptParameters) {
        self.kdf = kdf
    }
}

/// `POST /v1/auth/register`: redeems an invite and sets the account's credentials and keys.
/// Answered with `201` and a `UserInfo`.
public struct RegisterRequest: Codable, Sendable, Equatable {
    /// The invited user name.
    public var userName: String
    /// The invite code given by the administrator (`cfi_…`).
    public var inviteCode: String
    /// The KDF parameters and salt the client chose.
    public var kdf: ScryptParameters
    /// `authKey = HKDF(master, "coffre/v1/auth")`, 32 bytes; the server keeps only a salted hash.
    public var authKey: Base64Bytes
    /// Public keys and wrapped private keys.
    public var keys: AccountKeyMaterial

    /// A value with the given fields.
    public init(userName: String, inviteCode: String, kdf: ScryptParameters, authKey: [UInt8], keys: AccountKeyMaterial) {
        self.userName = userName
        self.inviteCode = inviteCode
        self.kdf = kdf
        self.authKey = Base64Bytes(authKey)
        self.keys = keys
    }
}

/// `POST /v1/auth/login`: proves knowledge of the password (through `authKey`) and creates a
/// device with its own bearer token. Answered with `201` and a `LoginResponse`.
public struct LoginRequest: Codable, Sendable, Equatable {
    /// Longest device name, in bytes of UTF-8.
    public static let maximumDeviceNameBytes = 128

    /// The user name.
    public var userName: String
    /// The 32-byte authKey derived from the password.
    public var authKey: Base64Bytes
    /// A name for the new device, shown in device lists ("laptop", "phone").
    public var deviceName: String
    /// Scopes for the token; `admin` only for administrators. Must not be empty.
    public var scopes: [Scope]

    /// A value with the given fields.
    public init(userName: String, authKey: [UInt8], deviceName: String, scopes: [Scope]) {
        self.userName = userName
        self.authKey = Base64Bytes(authKey)
        self.deviceName = deviceName
        self.scopes = scopes
    }
}

/// A successful login.
public struct LoginResponse: Codable, Sendable, Equatable {
    /// The bearer token of the new device (`cft_…`), shown once; send it as
    /// `Authorization: Bearer <token>`.
    public var token: String
    /// The new device.
    public var device: DeviceInfo
    /// The account.
    public var user: UserInfo
    /// The account's public keys and wrapped private keys, to unwrap with `kek`.
    public var keys: AccountKeyMaterial

    /// A value with the given fields.
    public init(token: String, device: DeviceInfo, user: UserInfo, keys: AccountKeyMaterial) {
        self.token = token
        self.device = device
        self.user = user
        self.keys = keys
    }
}
