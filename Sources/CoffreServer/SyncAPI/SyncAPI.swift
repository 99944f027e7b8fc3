import CoffreProtocol
import HTTPServer
import HTTPTypes
import Logging

/// The HTTP routes of the sync engine and the blob store (docs/protocol.md, "Sync"): vaults,
/// members and keys, blobs, commits, the changes feed, history and trash. The app calls
/// `register(on:)` once while building its router.
///
/// Every route authenticates a device token first (before reading any body): `sync` to write,
/// `read` or `sync` to read. Membership and role are checked by `SyncStore` in the transaction
/// that does the work; a non-member gets 404, as for a vault that does not exist. Each route
/// bounds what it reads: JSON bodies by `maxJSONBodyBytes` (64 KiB for the small ones), blob
/// bodies by their Content-Length, checked against the blob limit before reading.
public struct SyncAPI: Sendable {
    let blobs: BlobLayer
    let accounts: Accounts
    /// Largest commit or missing-blobs body (`http.maxRequestBodyBytes`).
    let maxJSONBodyBytes: Int
    let logger: Logger

    /// Largest body of the small JSON routes (vaults, members, keys).
    static let smallJSONBodyBytes = 64 * 1024

    /// Routes over `blobs` (and its `SyncStore`), authenticating through `accounts`.
    public init(blobs: BlobLayer, accounts: Accounts, maxJSONBodyBytes: Int, logger: Logger) {
        self.blobs = blobs
        self.accounts = accounts
        self.maxJSONBodyBytes = maxJSONBodyBytes
        self.logger = logger
    }

    /// Adds every sync route to `router`.
    public func register(on router: inout HTTPRouter) throws(HTTPServerError) {
        // Plain blob GET/HEADs of cached small blobs are answered before routing.
        router.fastLane = BlobFastLane(authenticator: authenticator, blobs: blobs)
        for route in vaultRoutes + memberRoutes + blobRoutes + commitRoutes {
            // No server-level body limit: each handler checks the Content-Length or reads a
            // bounded body itself, so a refusal is the JSON `body_too_large`, not a plain 413.
            let handler = SyncEndpoint.handler(logger: logger, route: route.pattern, route.handler)
            if let attempt = route.attempt {
                try router.add(route.method, route.pattern, maxBodyBytes: Int64.max, attempt: attempt, otherwise: handler)
            } else {
                try router.add(route.method, route.pattern, maxBodyBytes: Int64.max, handler)
            }
        }
    }

    var store: SyncStore { blobs.store }
    var authenticator: TokenAuthenticator { accounts.authenticator }

    /// One route: method, pattern and handler.
    struct Route {
        let method: HTTPRequest.Method
        let pattern: String
        let handler: @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse
        /// A fast lane tried on the event loop first (`HTTPHandler.Execution.attemptInline`).
        let attempt: (@Sendable (HTTPServerRequest) -> HTTPServerResponse?)?

        init(
            _ method: HTTPRequest.Method, _ pattern: String,
            attempt: (@Sendable (HTTPServerRequest) -> HTTPServerResponse?)? = nil,
            _ handler: @escaping @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse
        ) {
            self.method = method
            self.pattern = pattern
            self.attempt = attempt
            self.handler = handler
        }
    }
}
