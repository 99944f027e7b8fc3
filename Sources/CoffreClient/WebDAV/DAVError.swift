import HTTPServer
import HTTPTypes

/// Every error of the WebDAV gateway: storage outcomes (missing resource, existing target,
/// failed precondition) and refused requests. Each case answers one status; handlers map a
/// case to another status where RFC 4918 asks for it (MKCOL on an existing URL answers 405).
///
/// The texts are fixed descriptions of the rule broken; they never hold a path, a property
/// value, a header value or a password.
public enum DAVError: Error, Sendable, Equatable, CustomStringConvertible, HTTPResponseError {
    /// The request is malformed (400).
    case badRequest(String)
    /// The resource does not exist (404).
    case notFound
    /// The operation cannot be done in the resource's state, e.g. the parent collection is
    /// missing (409, RFC 4918 §9.7.1, §9.3.1).
    case conflict(String)
    /// The target exists and may not be replaced (MKCOL 405, COPY/MOVE with Overwrite: F 412).
    case alreadyExists
    /// The method cannot be applied to this resource (405, e.g. PUT on a collection).
    case methodNotAllowed
    /// A precondition (If-Match, If-None-Match, If, Overwrite) does not hold (412).
    case preconditionFailed
    /// The operation is refused on this resource (403), e.g. a protected property.
    case forbidden(String)
    /// The resource is locked and no lock token for `lockRoot` was submitted (423, RFC 4918
    /// §11.3 with the `lock-token-submitted` precondition of §16).
    case locked(lockRoot: DAVPath)
    /// A lock conflicts with an existing one (423 with `no-conflicting-lock`, RFC 4918 §16).
    case conflictingLock(lockRoot: DAVPath)
    /// The request body has a media type the method does not take (415, RFC 4918 §9.3).
    case unsupportedMediaType
    /// A bounded resource is exhausted: too many properties, locks or bytes (507).
    case insufficientStorage(String)
    /// COPY/MOVE to another server (502, RFC 4918 §9.8.5).
    case otherServer
    /// Credentials are missing or wrong (401 with the Basic challenge).
    case unauthorized(realm: String)
    /// The storage failed; the text names the operation and the system's reason (500).
    case storage(String)

    /// The status this error answers by default.
    public var status: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .notFound: .notFound
        case .conflict: .conflict
        case .alreadyExists, .methodNotAllowed: .methodNotAllowed
        case .preconditionFailed: .preconditionFailed
        case .forbidden: .forbidden
        case .locked, .conflictingLock: HTTPResponse.Status(code: 423, reasonPhrase: "Locked")
        case .unsupportedMediaType: .unsupportedMediaType
        case .insufficientStorage: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
        case .otherServer: .badGateway
        case .unauthorized: .unauthorized
        case .storage: .internalServerError
        }
    }

    /// `WWW-Authenticate` for 401 (RFC 7617 §2, with the UTF-8 charset parameter of §2.1).
    public var headerFields: HTTPFields {
        var fields = HTTPFields()
        if case .unauthorized(let realm) = self {
            fields[.wwwAuthenticate] = "Basic realm=\"\(realm)\", charset=\"UTF-8\""
        }
        if self == .alreadyExists || self == .methodNotAllowed { fields[.allow] = DAVServer.allowedMethods }
        switch self {
        case .locked, .conflictingLock: fields[.contentType] = DAVMultistatus.contentType
        default: fields[.contentType] = "text/plain; charset=utf-8"
        }
        return fields
    }

    /// RFC 4918 §16: 423 carries the precondition element naming the lock's root; other errors
    /// a short text.
    public var body: [UInt8] {
        switch self {
        case .locked(let root):
            return DAVMultistatus.errorBody(condition: "lock-token-submitted", href: root.href(isCollection: false))
        case .conflictingLock(let root):
            return DAVMultistatus.errorBody(condition: "no-conflicting-lock", href: root.href(isCollection: false))
        default:
            return Array("\(status.code) \(status.reasonPhrase)\(bodyText.map { ": " + $0 } ?? "")\n".utf8)
        }
    }

    private var bodyText: String? {
        switch self {
        case .badRequest(let text), .conflict(let text), .forbidden(let text), .insufficientStorage(let text): text
        default: nil
        }
    }

    /// A fixed description, safe to log.
    public var description: String {
        switch self {
        case .badRequest(let text): "bad request: \(text)"
        case .notFound: "not found"
        case .conflict(let text): "conflict: \(text)"
        case .alreadyExists: "already exists"
        case .methodNotAllowed: "method not allowed on this resource"
        case .preconditionFailed: "precondition failed"
        case .forbidden(let text): "forbidden: \(text)"
        case .locked: "locked"
        case .conflictingLock: "conflicting lock"
        case .unsupportedMediaType: "unsupported media type"
        case .insufficientStorage(let text): "insufficient storage: \(text)"
        case .otherServer: "destination on another server"
        case .unauthorized: "unauthorized"
        case .storage(let text): "storage failed: \(text)"
        }
    }
}
