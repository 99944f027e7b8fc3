import CoffreProtocol

/// The one error type of CoffreServer's HTTP API: a stable wire `ErrorCode`, the HTTP status it
/// is answered with, and a message for people.
///
/// Messages are fixed text written here: they name fields and rules, never a secret, a token,
/// an authKey or anything else the client sent. Services throw it directly; any other error
/// reaching the API layer becomes `internalError` (logged, not shown).
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status code (RFC 9110 §15).
    public let statusCode: Int
    /// The stable code.
    public let code: ErrorCode
    /// What went wrong, for people.
    public let message: String
    /// For 429: seconds until a retry may succeed (sent as `Retry-After`, RFC 9110 §10.2.3).
    public let retryAfterSeconds: Int?

    /// An error with an explicit status; other modules build their own errors this way.
    public init(statusCode: Int, code: ErrorCode, message: String, retryAfterSeconds: Int? = nil) {
        self.statusCode = statusCode
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The JSON body: `{"error": code, "message": …}`.
    public var errorBody: ErrorBody {
        ErrorBody(error: code, message: message, retryAfterSeconds: retryAfterSeconds)
    }

    public var description: String { "\(statusCode) \(code): \(message)" }
}

// Constructors for the codes of CoffreProtocol's `ErrorCode`.
extension APIError {
    /// 400 `malformed_json`.
    public static func malformedJSON(_ message: String = "the body is not the JSON object this route expects") -> APIError {
        APIError(statusCode: 400, code: .malformedJSON, message: message)
    }

    /// 400 `invalid_field`; `field` is the field's name in the schema, `rule` what it must be.
    public static func invalidField(_ field: String, _ rule: String) -> APIError {
        APIError(statusCode: 400, code: .invalidField, message: "\(field): \(rule)")
    }

    /// 400 `invalid_query`.
    public static func invalidQuery(_ parameter: String, _ rule: String) -> APIError {
        APIError(statusCode: 400, code: .invalidQuery, message: "query parameter \(parameter): \(rule)")
    }

    /// 413 `body_too_large`.
    public static func bodyTooLarge(limit: Int) -> APIError {
        APIError(statusCode: 413, code: .bodyTooLarge, message: "the request body is larger than \(limit) bytes")
    }

    /// 401 `unauthenticated`.
    public static let unauthenticated = APIError(
        statusCode: 401, code: .unauthenticated, message: "a valid bearer token is required")

    /// 403 `forbidden`.
    public static func forbidden(_ message: String) -> APIError {
        APIError(statusCode: 403, code: .forbidden, message: message)
    }

    /// 404 `not_found`; `what` names the kind of thing ("user", "device").
    public static func notFound(_ what: String) -> APIError {
        APIError(statusCode: 404, code: .notFound, message: "no such \(what)")
    }

    /// 429 `throttled`.
    public static func throttled(retryAfterSeconds: Int) -> APIError {
        APIError(
            statusCode: 429, code: .throttled, message: "too many failed attempts; try again later",
            retryAfterSeconds: max(1, retryAfterSeconds))
    }

    /// 500 `internal_error`.
    public static let internalError = APIError(
        statusCode: 500, code: .internalError, message: "the server failed; see its log")

    /// 400 `invalid_user_name`, with the syntax rule that was broken.
    public static func invalidUserName(_ rule: String) -> APIError {
        APIError(statusCode: 400, code: .invalidUserName, message: rule)
    }

    /// 401 `invalid_credentials`: the same answer whether or not the account exists.
    public static let invalidCredentials = APIError(
        statusCode: 401, code: .invalidCredentials, message: "user name or password is wrong")

    /// 403 `account_disabled`.
    public static let accountDisabled = APIError(
        statusCode: 403, code: .accountDisabled, message: "this account is disabled; ask the administrator")

    /// 403 `invalid_invite`.
    public static let invalidInvite = APIError(
        statusCode: 403, code: .invalidInvite, message: "the invite code is not valid for this user name")

    /// 403 `invite_expired`.
    public static let inviteExpired = APIError(
        statusCode: 403, code: .inviteExpired, message: "the invite has expired; ask the administrator for a new one")

    /// 409 `user_exists`.
    public static let userExists = APIError(statusCode: 409, code: .userExists, message: "a user with this name exists")

    /// 409 `already_registered`.
    public static let alreadyRegistered = APIError(
        statusCode: 409, code: .alreadyRegistered, message: "this account is already registered")

    /// 400 `invalid_kdf_parameters`.
    public static func invalidKDFParameters(_ rule: String) -> APIError {
        APIError(statusCode: 400, code: .invalidKDFParameters, message: rule)
    }

    /// 403 `scope_not_allowed`.
    public static let scopeNotAllowed = APIError(
        statusCode: 403, code: .scopeNotAllowed, message: "the admin scope is only for administrators")

    /// 409 `too_many_devices`.
    public static func tooMany(_ what: String, limit: Int) -> APIError {
        APIError(statusCode: 409, code: .tooManyDevices, message: "at most \(limit) \(what) are allowed; revoke one first")
    }

    /// 507 `quota_exceeded` (RFC 4918 §11.5, Insufficient Storage).
    public static let quotaExceeded = APIError(
        statusCode: 507, code: .quotaExceeded, message: "this would exceed the account's storage quota")
}
