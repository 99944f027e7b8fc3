/// What an audit entry records. A struct so that clients decode kinds added later.
public struct AuditEventKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The kind as sent, `snake_case`.
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    /// A login succeeded (the new device is in `deviceID`).
    public static let loginSucceeded = AuditEventKind(rawValue: "login_succeeded")
    /// A login with a wrong authKey for this existing account.
    public static let loginFailed = AuditEventKind(rawValue: "login_failed")
    /// A device was created (by a login).
    public static let deviceCreated = AuditEventKind(rawValue: "device_created")
    /// A device was revoked (logout, by its user, by an administrator or by a password change).
    public static let deviceRevoked = AuditEventKind(rawValue: "device_revoked")
    /// The password (authKey, KDF parameters, wrapped keys) was changed.
    public static let passwordChanged = AuditEventKind(rawValue: "password_changed")
    /// An administrator created an invite (with a new user, or re-issued).
    public static let inviteCreated = AuditEventKind(rawValue: "invite_created")
    /// The invite was redeemed: the account is registered.
    public static let inviteRedeemed = AuditEventKind(rawValue: "invite_redeemed")
    /// An administrator disabled the account.
    public static let userDisabled = AuditEventKind(rawValue: "user_disabled")
    /// An administrator enabled the account again.
    public static let userEnabled = AuditEventKind(rawValue: "user_enabled")
    /// The account was deleted (by its user or an administrator); only this entry remains.
    public static let userDeleted = AuditEventKind(rawValue: "user_deleted")
    /// An administrator changed the quota (`detail` holds the new limit or `unlimited`).
    public static let quotaChanged = AuditEventKind(rawValue: "quota_changed")
    /// An admin API token was created (`detail` holds its name).
    public static let adminTokenCreated = AuditEventKind(rawValue: "admin_token_created")
    /// An admin API token was revoked.
    public static let adminTokenRevoked = AuditEventKind(rawValue: "admin_token_revoked")
}

/// Who caused an audited event.
public enum AuditActorKind: String, Codable, Sendable {
    /// The user the entry is about, through one of their devices (or at login/registration).
    case user
    /// An administrator: a user with the `admin` scope (`actorID` is the user id).
    case adminUser = "admin_user"
    /// An admin API token (`actorID` is the token id).
    case adminToken = "admin_token"
    /// The server itself (e.g. the first admin token at first start).
    case system
}

/// One audit log entry. It never holds IP addresses, file or vault identifiers, or secrets.
public struct AuditEntry: Codable, Sendable, Equatable {
    /// Increasing id; use it as a cursor (`before`).
    public var id: Int64
    /// When, in Unix seconds.
    public var at: Int64
    /// What happened.
    public var event: AuditEventKind
    /// The user the event is about, if any.
    public var userID: Int64?
    /// That user's name, while the account exists.
    public var userName: String?
    /// The device concerned, if any.
    public var deviceID: Int64?
    /// Who did it.
    public var actor: AuditActorKind
    /// The acting user or token id, when `actor` is `adminUser` or `adminToken`.
    public var actorID: Int64?
    /// A short detail: a device or token name, a quota value. Never a secret.
    public var detail: String?

    /// A value with the given fields.
    public init(
        id: Int64, at: Int64, event: AuditEventKind, userID: Int64?, userName: String?, deviceID: Int64?,
        actor: AuditActorKind, actorID: Int64?, detail: String?
    ) {
        self.id = id
        self.at = at
        self.event = event
        self.userID = userID
        self.userName = userName
        self.deviceID = deviceID
        self.actor = actor
        self.actorID = actorID
        self.detail = detail
    }
}

/// A page of audit entries, newest first (`GET /v1/account/audit`, `GET /v1/admin/audit`).
public struct AuditPage: Codable, Sendable, Equatable {
    /// The entries, by decreasing id.
    public var entries: [AuditEntry]
    /// When more entries match: pass this as `before` to get the next page.
    public var nextBefore: Int64?

    /// A value with the given fields.
    public init(entries: [AuditEntry], nextBefore: Int64?) {
        self.entries = entries
        self.nextBefore = nextBefore
    }
}
