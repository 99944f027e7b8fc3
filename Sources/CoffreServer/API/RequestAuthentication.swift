import CoffreProtocol
import HTTPServer

/// Who may call a route, checked before its body is read.
extension TokenAuthenticator {
    /// The device session behind the request's bearer token. With `scope`, the token must have
    /// it; without, any device token will do. An admin API token is refused with 403: it
    /// belongs to no user.
    func device(for request: HTTPServerRequest, requiring scope: Scope?) async throws(APIError) -> DeviceSession {
        let principal = try await authenticate(authorization: request.authorization)
        guard case .device(let session) = principal else {
            throw .forbidden("this route needs a user's device token, not an admin token")
        }
        if let scope, !session.has(scope) { throw .forbidden("this route needs a token with the \(scope.rawValue) scope") }
        return session
    }

    /// The administrator behind the request: an admin API token, or a device token with the
    /// `admin` scope of a user flagged as administrator.
    func admin(for request: HTTPServerRequest) async throws(APIError) -> AdminActor {
        let principal = try await authenticate(authorization: request.authorization)
        guard let actor = principal.adminActor else {
            throw .forbidden("this route needs an admin token or a token with the admin scope")
        }
        return actor
    }

    /// `reader(for:)` answered from the token cache alone, on the caller's thread: the device
    /// session when the request's bearer token is cached (`cachedPrincipal(token:)`) and may
    /// read; nil in every other case, where `reader(for:)` gives the answer (which may be the
    /// same session, or 401 / 403).
    func cachedReader(for request: HTTPServerRequest) -> DeviceSession? {
        guard var authorization = request.authorization else { return nil }
        return authorization.withUTF8 { cachedReader(authorization: UnsafeRawBufferPointer($0)) }
    }

    /// `cachedReader(for:)` for the bytes of the only Authorization field (the lean fast
    /// lane's, from the read buffer): the same rules, nothing copied or allocated.
    func cachedReader(authorization: UnsafeRawBufferPointer) -> DeviceSession? {
        guard let token = Self.bearerToken(in: authorization),
            case .device(let session)? = cachedPrincipal(token: token), Self.mayRead(session)
        else { return nil }
        return session
    }

    /// A device may read the user's data with the `read` or the `sync` scope.
    static func mayRead(_ session: DeviceSession) -> Bool {
        session.has(.read) || session.has(.sync)
    }
}
