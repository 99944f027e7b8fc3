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
}
