/// An account as its owner and administrators see it. Times are Unix seconds (UTC).
public struct UserInfo: Codable, Sendable, Equatable {
    /// The server's id for the user; stable, never reused.
    public var id: Int64
    /// The user name.
    public var name: String
    /// Whether the user may request the `admin` scope.
    public var isAdmin: Bool
    /// False until the invite is redeemed (`register`).
    public var isRegistered: Bool
    /// True while an administrator has disabled the account: its tokens are refused.
    public var isDisabled: Bool
    /// When the administrator created the account (the invite).
    public var createdAt: Int64
    /// Storage allowance and use.
    public var quota: QuotaInfo

    /// A value with the given fields.
    public init(id: Int64, name: String, isAdmin: Bool, isRegistered: Bool, isDisabled: Bool, createdAt: Int64, quota: QuotaInfo) {
        self.id = id
        self.name = name
        self.isAdmin = isAdmin
        self.isRegistered = isRegistered
        self.isDisabled = isDisabled
        self.createdAt = createdAt
        self.quota = quota
    }
}

/// A storage allowance and how much of it is used.
public struct QuotaInfo: Codable, Sendable, Equatable {
    /// Most bytes the user may store; nil means unlimited.
    public var limitBytes: Int64?
    /// Bytes stored now (kept by the blob layer).
    public var usedBytes: Int64

    /// A value with the given fields.
    public init(limitBytes: Int64?, usedBytes: Int64) {
        self.limitBytes = limitBytes
        self.usedBytes = usedBytes
    }
}

/// One device (one login): its token is the device's credential.
public struct DeviceInfo: Codable, Sendable, Equatable {
    /// The server's id for the device.
    public var id: Int64
    /// Id of the owning user.
    public var userID: Int64
    /// Name of the owning user.
    public var userName: String
    /// The name given at login.
    public var name: String
    /// What the device's token may do.
    public var scopes: [Scope]
    /// When it logged in.
    public var createdAt: Int64
    /// Last authenticated request, to the minute (updated at most once a minute).
    public var lastSeenAt: Int64
    /// True for the device whose token made this request.
    public var isCurrent: Bool

    /// A value with the given fields.
    public init(
        id: Int64, userID: Int64, userName: String, name: String, scopes: [Scope], createdAt: Int64,
        lastSeenAt: Int64, isCurrent: Bool
    ) {
        self.id = id
        self.userID = userID
        self.userName = userName
        self.name = name
        self.scopes = scopes
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.isCurrent = isCurrent
    }
}

/// A list of devices (`GET /v1/account/devices`, `GET /v1/admin/devices`).
public struct DeviceList: Codable, Sendable, Equatable {
    /// Devices, oldest first.
    public var devices: [DeviceInfo]

    /// A value with the given fields.
    public init(devices: [DeviceInfo]) {
        self.devices = devices
    }
}
