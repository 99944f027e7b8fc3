/// `POST /v1/admin/users`: creates a user and their invite. Answered with `201` and a
/// `CreateUserResponse`.
public struct CreateUserRequest: Codable, Sendable, Equatable {
    /// The new user name (syntax of `UserName`).
    public var userName: String
    /// Whether the user may request the `admin` scope. Default false.
    public var isAdmin: Bool?
    /// Storage limit in bytes; absent or null = the server's `accounts.defaultQuotaBytes`.
    /// Use `PUT …/quota` to make a user unlimited when the default is a limit.
    public var quotaBytes: Int64?
    /// How long the invite stays valid, in seconds (1 hour to 90 days); default 7 days.
    public var inviteValidSeconds: Int64?

    /// A value with the given fields.
    public init(userName: String, isAdmin: Bool? = nil, quotaBytes: Int64? = nil, inviteValidSeconds: Int64? = nil) {
        self.userName = userName
        self.isAdmin = isAdmin
        self.quotaBytes = quotaBytes
        self.inviteValidSeconds = inviteValidSeconds
    }
}

/// A single-use invite code; the server keeps only its hash, so it is shown once.
public struct InviteInfo: Codable, Sendable, Equatable {
    /// The code to hand to the user (`cfi_…`).
    public var code: String
    /// The user it is for.
    public var userName: String
    /// When it stops working, in Unix seconds.
    public var expiresAt: Int64

    /// A value with the given fields.
    public init(code: String, userName: String, expiresAt: Int64) {
        self.code = code
        self.userName = userName
        self.expiresAt = expiresAt
    }
}

/// The answer to `POST /v1/admin/users`.
public struct CreateUserResponse: Codable, Sendable, Equatable {
    /// The new, not yet registered, user.
    public var user: UserInfo
    /// Their invite.
    public var invite: InviteInfo

    /// A value with the given fields.
    public init(user: UserInfo, invite: InviteInfo) {
        self.user = user
        self.invite = invite
    }
}

/// `POST /v1/admin/users/{name}/invite`: a new invite for a user who has not registered yet;
/// earlier invites of that user stop working.
public struct ReissueInviteRequest: Codable, Sendable, Equatable {
    /// Validity in seconds (1 hour to 90 days); default 7 days.
    public var inviteValidSeconds: Int64?

    /// A value with the given fields.
    public init(inviteValidSeconds: Int64? = nil) {
        self.inviteValidSeconds = inviteValidSeconds
    }
}

/// `PUT /v1/admin/users/{name}/quota`.
public struct SetQuotaRequest: Codable, Sendable, Equatable {
    /// New limit in bytes; null = unlimited.
    public var quotaBytes: Int64?

    /// A value with the given fields.
    public init(quotaBytes: Int64?) {
        self.quotaBytes = quotaBytes
    }
}

/// `GET /v1/admin/users`.
public struct UserList: Codable, Sendable, Equatable {
    /// Users, by name.
    public var users: [UserInfo]

    /// A value with the given fields.
    public init(users: [UserInfo]) {
        self.users = users
    }
}

/// `GET /v1/admin/users/{name}`: a user and their devices.
public struct UserDetail: Codable, Sendable, Equatable {
    /// The user.
    public var user: UserInfo
    /// Their devices, oldest first.
    public var devices: [DeviceInfo]
    /// When the pending invite expires, for a user not registered yet.
    public var inviteExpiresAt: Int64?

    /// A value with the given fields.
    public init(user: UserInfo, devices: [DeviceInfo], inviteExpiresAt: Int64?) {
        self.user = user
        self.devices = devices
        self.inviteExpiresAt = inviteExpiresAt
    }
}

/// `POST /v1/admin/tokens`: a new admin API token.
public struct CreateAdminTokenRequest: Codable, Sendable, Equatable {
    /// A label for the token ("backup script"); 1–128 bytes.
    public var name: String

    /// A value with the given fields.
    public init(name: String) {
        self.name = name
    }
}

/// An admin API token, without its secret.
public struct AdminTokenInfo: Codable, Sendable, Equatable {
    /// The server's id for the token.
    public var id: Int64
    /// Its label.
    public var name: String
    /// When it was created.
    public var createdAt: Int64
    /// Last use, to the minute.
    public var lastSeenAt: Int64

    /// A value with the given fields.
    public init(id: Int64, name: String, createdAt: Int64, lastSeenAt: Int64) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
    }
}

/// The answer to `POST /v1/admin/tokens`: the secret is shown once.
public struct CreateAdminTokenResponse: Codable, Sendable, Equatable {
    /// The bearer token (`cfa_…`).
    public var token: String
    /// Its description.
    public var info: AdminTokenInfo

    /// A value with the given fields.
    public init(token: String, info: AdminTokenInfo) {
        self.token = token
        self.info = info
    }
}

/// `GET /v1/admin/tokens`.
public struct AdminTokenList: Codable, Sendable, Equatable {
    /// Tokens, oldest first.
    public var tokens: [AdminTokenInfo]

    /// A value with the given fields.
    public init(tokens: [AdminTokenInfo]) {
        self.tokens = tokens
    }
}
