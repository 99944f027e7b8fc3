import CoffreProtocol
import HTTPServer
import HTTPTypes
import Logging

/// The HTTP routes of the account services (docs/protocol.md): `/v1/auth/…`, `/v1/account/…`
/// and `/v1/admin/…`. The app calls `register(on:)` once while building its router.
///
/// Each route authenticates first (before reading any body), then decodes a JSON body of at most
/// 64 KiB, calls one `Accounts` method and encodes its answer. Every error leaves as an
/// `APIError` (see `APIEndpoint`), answered as `{"error": code, "message": …}`.
public struct AccountsAPI: Sendable {
    let accounts: Accounts
    let logger: Logger

    /// Routes over `accounts`; unexpected failures are logged to `logger`.
    public init(accounts: Accounts, logger: Logger) {
        self.accounts = accounts
        self.logger = logger
    }

    /// Adds every account and admin route to `router`.
    public func register(on router: inout HTTPRouter) throws(HTTPServerError) {
        for route in authRoutes + accountRoutes + adminRoutes {
            // No route-level body limit: the server would refuse a large Content-Length with its
            // own plain-text 413. `decodeJSON` refuses it instead, from the Content-Length and
            // before reading, so the answer is the JSON `body_too_large`.
            try router.add(route.method, route.pattern, APIEndpoint.handler(logger: logger, route: route.pattern, route.handler))
        }
    }

    /// One route: method, pattern and handler.
    struct Route {
        let method: HTTPRequest.Method
        let pattern: String
        let handler: @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse

        init(
            _ method: HTTPRequest.Method, _ pattern: String,
            _ handler: @escaping @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse
        ) {
            self.method = method
            self.pattern = pattern
            self.handler = handler
        }
    }

    var authenticator: TokenAuthenticator { accounts.authenticator }
}
