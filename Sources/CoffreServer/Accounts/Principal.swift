import CoffreProtocol

/// Who a bearer token belongs to, as `TokenAuthenticator` found it.
public enum Principal: Sendable, Equatable {
    /// A user's device (`cft_` token).
    case device(DeviceSession)
    /// An admin API token (`cfa_` token).
    case adminToken(AdminTokenSession)
}

/// An authenticated device of an enabled user.
public struct DeviceSession: Sendable, Equatable {
    /// The user.
    public let userID: Int64
    /// The user's name.
    public let userName: String
    /// Whether the user is flagged as an administrator.
    public let userIsAdmin: Bool
    /// The device.
    public let deviceID: Int64
    /// The token's scopes.
    public let scopes: Set<Scope>

    /// True when the token has `scope`.
    public func has(_ scope: Scope) -> Bool { scopes.contains(scope) }
}

/// An authenticated admin API token.
public struct AdminTokenSession: Sendable, Equatable {
    /// The token's id.
    public let tokenID: Int64
}

/// Who performs an administrative action, for the audit log.
public enum AdminActor: Sendable, Equatable {
    /// A user with the `admin` scope.
    case user(Int64)
    /// An admin API token.
    case token(Int64)
}

extension Principal {
    /// The administrator behind this principal: an admin token, or a device of an
    /// administrator whose token has the `admin` scope; nil otherwise.
    public var adminActor: AdminActor? {
        switch self {
        case .adminToken(let session): .token(session.tokenID)
        case .device(let session): session.userIsAdmin && session.has(.admin) ? .user(session.userID) : nil
        }
    }
}

/// Bit set of scopes as stored in `devices.scopes`.
enum ScopeBits {
    static func encode(_ scopes: Set<Scope>) -> Int64 {
        scopes.reduce(0) { $0 | bit($1) }
    }

    static func decode(_ bits: Int64) -> Set<Scope> {
        Set(Scope.allCases.filter { bits & bit($0) != 0 })
    }

    private static func bit(_ scope: Scope) -> Int64 {
        switch scope {
        case .sync: 1
        case .read: 2
        case .admin: 4
        }
    }
}
