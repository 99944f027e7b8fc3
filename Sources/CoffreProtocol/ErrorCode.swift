/// A stable, machine-readable error code: the `error` field of every error body. Clients switch
/// on it; the message next to it is for people and may change. Every code is listed with its
/// status in docs/protocol.md.
///
/// A struct rather than an enum, so that a client decodes codes added by a newer server
/// instead of failing; other modules add their codes in extensions.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The code as sent, `snake_case` ASCII.
    public let rawValue: String

    /// Wraps a code.
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
}

// General codes (any route).
extension ErrorCode {
    /// 400: the body is not JSON, or not the JSON object the route expects.
    public static let malformedJSON = ErrorCode(rawValue: "malformed_json")
    /// 400: a field is missing, too long, out of range or of the wrong shape; the message names it.
    public static let invalidField = ErrorCode(rawValue: "invalid_field")
    /// 400: a query parameter is malformed; the message names it.
    public static let invalidQuery = ErrorCode(rawValue: "invalid_query")
    /// 413: the request body is larger than the route accepts.
    public static let bodyTooLarge = ErrorCode(rawValue: "body_too_large")
    /// 401: no `Authorization: Bearer` token, or one that is unknown, revoked or malformed.
    public static let unauthenticated = ErrorCode(rawValue: "unauthenticated")
    /// 403: the token is valid but lacks the scope (or the principal kind) the route needs.
    public static let forbidden = ErrorCode(rawValue: "forbidden")
    /// 404: no such resource, or one the caller may not see.
    public static let notFound = ErrorCode(rawValue: "not_found")
    /// 429: too many failed attempts; retry after the `Retry-After` seconds.
    public static let throttled = ErrorCode(rawValue: "throttled")
    /// 500: the server failed; details are in its log, never in the answer.
    public static let internalError = ErrorCode(rawValue: "internal_error")
}

// Account codes.
extension ErrorCode {
    /// 400: the user name does not follow the syntax of `UserName`.
    public static let invalidUserName = ErrorCode(rawValue: "invalid_user_name")
    /// 401: user name and authKey do not match a usable account (same answer for unknown names).
    public static let invalidCredentials = ErrorCode(rawValue: "invalid_credentials")
    /// 403: the account is disabled by an administrator.
    public static let accountDisabled = ErrorCode(rawValue: "account_disabled")
    /// 403: the invite code is unknown, already used, or not for this user name.
    public static let invalidInvite = ErrorCode(rawValue: "invalid_invite")
    /// 403: the invite code has expired; an administrator can issue a new one.
    public static let inviteExpired = ErrorCode(rawValue: "invite_expired")
    /// 409: a user with this name already exists.
    public static let userExists = ErrorCode(rawValue: "user_exists")
    /// 409: the account has already been registered (e.g. re-issuing its invite).
    public static let alreadyRegistered = ErrorCode(rawValue: "already_registered")
    /// 400: the KDF parameters are outside what the server stores.
    public static let invalidKDFParameters = ErrorCode(rawValue: "invalid_kdf_parameters")
    /// 403: the `admin` scope was requested for a user who is not an administrator.
    public static let scopeNotAllowed = ErrorCode(rawValue: "scope_not_allowed")
    /// 409: the account already has the most devices (or the server the most admin tokens) allowed.
    public static let tooManyDevices = ErrorCode(rawValue: "too_many_devices")
    /// 507: storing this many more bytes would exceed the account's quota.
    public static let quotaExceeded = ErrorCode(rawValue: "quota_exceeded")
}
