/// `GET /v1/admin/stats`: figures about the server. Sections other than `accounts` are added by
/// other parts of the server (storage, sync) as optional fields, so older clients keep decoding.
public struct ServerStats: Codable, Sendable, Equatable {
    /// Users, devices, tokens and quota use.
    public var accounts: AccountStats
    /// Vaults, entries, blobs, physical and logical bytes, dedup ratio (the sync engine's).
    public var sync: StorageStatistics?

    /// A value with the given fields.
    public init(accounts: AccountStats, sync: StorageStatistics? = nil) {
        self.accounts = accounts
        self.sync = sync
    }
}

/// The accounts section of `ServerStats`.
public struct AccountStats: Codable, Sendable, Equatable {
    /// All users, registered or not.
    public var users: Int
    /// Users who redeemed their invite.
    public var registeredUsers: Int
    /// Disabled users.
    public var disabledUsers: Int
    /// Users flagged as administrators.
    public var adminUsers: Int
    /// Invites not yet redeemed and not expired.
    public var pendingInvites: Int
    /// Devices (logged-in sessions) of all users.
    public var devices: Int
    /// Admin API tokens.
    public var adminTokens: Int
    /// Bytes counted against quotas, summed over users.
    public var usedBytes: Int64

    /// A value with the given fields.
    public init(
        users: Int, registeredUsers: Int, disabledUsers: Int, adminUsers: Int, pendingInvites: Int, devices: Int,
        adminTokens: Int, usedBytes: Int64
    ) {
        self.users = users
        self.registeredUsers = registeredUsers
        self.disabledUsers = disabledUsers
        self.adminUsers = adminUsers
        self.pendingInvites = pendingInvites
        self.devices = devices
        self.adminTokens = adminTokens
        self.usedBytes = usedBytes
    }
}
