import HTTPServer
import Logging

/// `coffre dav`'s server: a `DAVServer` over a `VaultDAVStorage` on our `HTTPServer`, on a
/// loopback address only (there is no TLS here, and the gateway serves plaintext), with Basic
/// credentials.
public final class VaultGateway: Sendable {
    /// The vault served.
    public let storage: VaultDAVStorage
    /// What clients must send.
    public let credentials: DAVCredentials
    private let server: HTTPServer
    private let host: String

    /// A gateway for `storage` on `address`; `start()` opens it.
    public init(storage: VaultDAVStorage, credentials: DAVCredentials, address: DAVListenAddress, eventLoopCount: Int = 2) {
        self.storage = storage
        self.credentials = credentials
        host = address.host
        var configuration = HTTPServerConfiguration(host: address.host, port: address.port)
        configuration.eventLoopCount = max(1, eventLoopCount)
        // Access logs would name the files of the vault: none.
        configuration.accessLogLevel = nil
        let dav = DAVServer(storage: storage, configuration: DAVServerConfiguration(credentials: credentials))
        server = HTTPServer(configuration: configuration, responder: dav, logger: Logger(label: "coffre-dav") { _ in SwiftLogNoOpLogHandler() })
    }

    /// Starts listening and following the vault's feed; returns the URL to give clients.
    public func start() throws -> String {
        try server.start()
        storage.startFollowing()
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(shownHost):\(server.localPort)/"
    }

    /// The port listened on (after `start()`).
    public var port: Int { server.localPort }

    /// Stops accepting, lets requests in flight finish (at most `gracePeriod`), stops following.
    public func stop(gracePeriod: Duration = .seconds(5)) async {
        storage.stop()
        await server.shutdown(gracePeriod: gracePeriod)
    }
}
