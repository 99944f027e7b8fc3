import CoffreProtocol
import Glibc
import HTTPServer
import HTTPTypes
import Logging

/// The running server: data directory, stores, HTTP routes, TLS — everything `coffred serve`
/// starts, as a library so end-to-end tests and benchmarks can run it in-process too.
///
/// Life cycle: `init` opens and locks the data directory and the stores (failing early with a
/// clear error), `start()` binds and serves, `shutdown()` stops accepting, lets in-flight requests
/// finish within the configured grace period and closes everything.
public final class ServerApplication: Sendable {
    public let configuration: ServerConfiguration
    public let dataDirectory: DataDirectory
    public let blobStore: DiskBlobStore
    public let database: ServerDatabase
    public let accounts: Accounts
    /// Vaults, commits, the changes feed (docs/sync-engine.md).
    public let sync: SyncStore
    /// Blob bytes, rows and quota together (the blob layer of the sync routes).
    public let blobs: BlobLayer
    /// Retention pruning and GC on a timer; GC, fsck and backup on request.
    public let maintenance: MaintenanceService
    private let logger: Logger
    private let tls: TLSContextProvider?
    private let server: HTTPServer

    /// Opens the data directory and the stores, loads the TLS certificate, builds the routes.
    /// On the very first start it also issues the first admin token (`DATA/admin.token`, 0600).
    /// `clock` is the system clock except in tests, which move time by hand.
    public init(configuration: ServerConfiguration, logger: Logger, clock: ServerClock = .system) async throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        dataDirectory = try DataDirectory(path: configuration.dataDirectory)
        blobStore = try DiskBlobStore(
            root: dataDirectory.path,
            configuration: .init(
                maxBlobSize: Int64(configuration.storage.maxBlobBytes),
                freeSpaceReserve: configuration.storage.minFreeBytes,
                directWriteMinimumSize: configuration.storage.directWriteMinBytes))
        database = try ServerDatabase(dataDirectory: dataDirectory)
        accounts = try await Accounts.open(database: database, settings: configuration.accounts, clock: clock, logger: logger)
        if let path = try await accounts.createFirstAdminTokenIfNeeded(dataDirectory: dataDirectory) {
            logger.notice("first admin token written; coffre-admin --data reads it from there", metadata: ["file": "\(path)"])
        }
        sync = SyncStore(database: database, retention: RetentionPolicy(configuration.sync), clock: clock)
        blobs = BlobLayer(
            store: sync, disk: blobStore, quotas: accounts.quotas, inlineMaxBytes: configuration.storage.inlineMaxBytes,
            logger: logger)
        // No upload runs yet: what a crash left reserved goes back to its users.
        try await sync.reconcileQuotaUsage()
        maintenance = MaintenanceService(
            blobs: blobs, database: database, dataDirectory: dataDirectory.path, settings: configuration.maintenance,
            clock: clock, logger: logger)
        accounts.addErasureHook(VaultErasureHook(blobs: blobs))
        accounts.addExportContributor(VaultExportContributor(blobs: blobs))
        accounts.addStatsContributor(
            StorageStatsContributor(store: sync, metrics: maintenance.metrics, clock: clock))
        var http = configuration.httpServerConfiguration
        if let certificate = configuration.tlsCertificatePath, let key = configuration.tlsKeyPath {
            let provider = try TLSContextProvider(certificateChainFile: certificate, privateKeyFile: key)
            http.transportFactory = provider.transportFactory
            tls = provider
        } else {
            tls = nil
        }
        var router = HTTPRouter()
        let metricsSource = MetricsSourceBox()
        try Self.addOperationalRoutes(to: &router, metrics: metricsSource, maintenance: maintenance)
        try AccountsAPI(accounts: accounts, logger: logger).register(on: &router)
        try SyncAPI(
            blobs: blobs, accounts: accounts, maxJSONBodyBytes: configuration.http.maxRequestBodyBytes, logger: logger
        ).register(on: &router)
        try MaintenanceAPI(maintenance: maintenance, accounts: accounts, logger: logger).register(on: &router)
        server = HTTPServer(configuration: http, responder: router, logger: logger)
        metricsSource.server = server
    }

    /// Starts serving; returns the base URL clients use (with the real port when 0 was asked),
    /// which it also writes to `DATA/coffred.url` for `coffre-admin --data`.
    @discardableResult
    public func start() throws -> String {
        try server.start()
        maintenance.start()
        let url = baseURL
        try Self.writeURLFile(url, inDirectory: dataDirectory.path)
        logger.notice(
            "coffred listening",
            metadata: ["url": "\(url)", "data": "\(dataDirectory.path)", "version": "\(CoffreVersion.current)"])
        return url
    }

    /// `http(s)://host:port` of the running server.
    public var baseURL: String {
        var address = configuration.listen
        address.port = server.localPort
        if address.host == "0.0.0.0" { address.host = "127.0.0.1" }
        if address.host == "::" { address.host = "::1" }
        return (tls == nil ? "http://" : "https://") + address.description
    }

    /// The port actually bound.
    public var localPort: Int { server.localPort }

    /// Reloads the TLS certificate and key from disk (SIGHUP). A bad new pair leaves the old one
    /// in service and throws. Without TLS there is nothing to reload.
    public func reloadTLS() throws {
        guard let tls else { return }
        try tls.reload()
        logger.notice("TLS certificate reloaded")
    }

    /// Stops accepting, lets in-flight requests finish (up to `http.shutdownGraceSeconds`),
    /// then closes every connection.
    public func shutdown() async {
        _ = unlink(dataDirectory.file(Self.urlFileName))
        await maintenance.stop()
        await server.shutdown(gracePeriod: .milliseconds(Int64(configuration.http.shutdownGraceSeconds * 1000)))
        logger.notice("coffred stopped")
    }

    /// Returns once the server has stopped.
    public func waitUntilStopped() async { await server.waitUntilStopped() }

    // MARK: Routes

    private static func addOperationalRoutes(
        to router: inout HTTPRouter, metrics: MetricsSourceBox, maintenance: MaintenanceService
    ) throws {
        // Liveness: cheap, on the loop thread, no store access.
        try router.addInline(.get, "/healthz") { _ in
            var fields = HTTPFields()
            fields[.contentType] = "application/json"
            fields[.cacheControl] = "no-store"
            return HTTPServerResponse(status: .ok, headerFields: fields, body: .bytes(Array(#"{"status":"ok"}"#.utf8)))
        }
        // Prometheus text format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
        try router.addInline(.get, "/metrics") { _ in
            var text = "# HELP coffred_build_info Version of this coffred.\n# TYPE coffred_build_info gauge\n"
            text += "coffred_build_info{version=\"\(CoffreVersion.current)\"} 1\n"
            if let server = metrics.server {
                text += server.metrics.snapshot().renderPrometheus(namespace: "coffred")
            }
            text += maintenance.renderMetrics(namespace: "coffred")
            text += ProcessMetrics.render(namespace: "coffred")
            var fields = HTTPFields()
            fields[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            fields[.cacheControl] = "no-store"
            return HTTPServerResponse(status: .ok, headerFields: fields, body: .bytes(Array(text.utf8)))
        }
    }
}

// MARK: The URL file

extension ServerApplication {
    /// Name of the file holding the running server's URL, in the data directory.
    public static let urlFileName = "coffred.url"

    /// Writes `url` and a newline to `directory/coffred.url` with mode 0600: a temporary file
    /// created 0600 and renamed into place (rename(2)), so a reader sees the old file or the
    /// whole new one. It is rewritten at every start and removed at shutdown; it need not
    /// survive a crash, so it is not fsynced.
    static func writeURLFile(_ url: String, inDirectory directory: String) throws(BlobStoreError) {
        let path = directory + "/" + urlFileName
        let temporary = path + ".tmp"
        _ = unlink(temporary)
        do throws(BlobStoreError) {
            let file = try FileDescriptor.open(
                temporary, relativeTo: nil, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600, operation: "create \(urlFileName)")
            let line = Array((url + "\n").utf8)
            let written = line.withUnsafeBytes { bytes in
                Result { () throws(BlobStoreError) in try file.writeAll(bytes, operation: "write \(urlFileName)") }
            }
            try written.get()
            guard rename(temporary, path) == 0 else { throw BlobStoreError.system("rename \(urlFileName)", errno: errno) }
        } catch {
            _ = unlink(temporary)
            throw error
        }
    }
}

/// Lets a route read the server's metrics although the server is built after the routes.
///
/// `@unchecked Sendable`: `server` is set once, in `ServerApplication.init`, before the server
/// starts and before any route can run; afterwards it is only read.
private final class MetricsSourceBox: @unchecked Sendable {
    var server: HTTPServer?
}
