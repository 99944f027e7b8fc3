/// Everything `coffred` can be configured with. Defaults are the embedded single-machine setup:
/// SQLite and blobs under `./data`, listening on loopback without TLS.
///
/// Values come, highest priority first, from command-line flags, `COFFRE_*` environment
/// variables and the YAML file (`config/coffred.yaml` documents every key); see
/// `ServerConfiguration+Loading.swift`.
public struct ServerConfiguration: Sendable, Equatable {
    /// Where to listen (`listen`).
    public var listen = ListenAddress(host: "127.0.0.1", port: 8080)
    /// The data directory (`data`): SQLite database, blobs, temp files, the admin token.
    public var dataDirectory = "./data"
    /// PEM certificate chain and key (`tls.cert`, `tls.key`); TLS is on when both are set.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// Allows plain HTTP on a non-loopback address (`allowInsecureHTTP`), e.g. behind a reverse
    /// proxy that terminates TLS.
    public var allowInsecureHTTP = false

    /// Log level (`log.level`: trace, debug, info, notice, warning, error, critical).
    public var logLevel = "info"
    /// Log format (`log.format`: `text` or `json`).
    public var logFormat = "text"
    /// Whether access logs include client addresses (`log.clientAddresses`); off by default.
    public var logClientAddresses = false

    /// HTTP limits (`http.*`); see docs/http-server.md for what each one guards against.
    public var http = HTTPSettings()
    /// Blob storage (`storage.*`).
    public var storage = StorageSettings()
    /// Sync history retention (`sync.*`).
    public var sync = SyncSettings()
    /// Accounts (`accounts.*`).
    public var accounts = AccountSettings()
    /// Background pruning and garbage collection (`maintenance.*`).
    public var maintenance = MaintenanceSettings()

    public init() {}

    /// True when TLS is configured.
    public var tlsEnabled: Bool { tlsCertificatePath != nil }

    /// Checks the combination of values; the first problem is thrown.
    public func validate() throws(ConfigurationError) {
        switch (tlsCertificatePath, tlsKeyPath) {
        case (nil, nil), (.some, .some): break
        case (.some, nil): throw .invalid(key: "tls.key", reason: "tls.cert is set, so tls.key is needed too")
        case (nil, .some): throw .invalid(key: "tls.cert", reason: "tls.key is set, so tls.cert is needed too")
        }
        if !listen.isLoopback && !tlsEnabled && !allowInsecureHTTP {
            throw .invalid(
                key: "listen",
                reason: "\(listen) is reachable from other machines; configure TLS (tls.cert, tls.key) "
                    + "or, behind a TLS-terminating proxy, set allowInsecureHTTP")
        }
        guard !dataDirectory.isEmpty else { throw .invalid(key: "data", reason: "must not be empty") }
        guard ["text", "json"].contains(logFormat) else {
            throw .invalid(key: "log.format", reason: "must be text or json")
        }
        guard Self.logLevels.contains(logLevel) else {
            throw .invalid(key: "log.level", reason: "must be one of \(Self.logLevels.joined(separator: ", "))")
        }
        try http.validate()
        try storage.validate()
        try sync.validate()
        try accounts.validate()
        try maintenance.validate()
    }

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
}

/// HTTP limits and timeouts (`http.*`).
public struct HTTPSettings: Sendable, Equatable {
    /// Event loops (`http.eventLoops`); 0 = one per core.
    public var eventLoops = 0
    public var maxConnections = 10_000
    public var maxHeaderBytes = 16 * 1024
    public var maxHeaderCount = 100
    public var maxURILength = 8 * 1024
    /// Largest JSON request body (`http.maxRequestBodyBytes`); blob routes have their own limit.
    public var maxRequestBodyBytes = 16 * 1024 * 1024
    public var headerReadTimeoutSeconds = 10.0
    public var idleTimeoutSeconds = 75.0
    public var bodyReadTimeoutSeconds = 30.0
    /// How long SIGTERM waits for in-flight requests before closing them (`http.shutdownGraceSeconds`).
    public var shutdownGraceSeconds = 30.0

    public init() {}

    func validate() throws(ConfigurationError) {
        func positive(_ value: Int, _ key: String) throws(ConfigurationError) {
            guard value > 0 else { throw .invalid(key: "http.\(key)", reason: "must be greater than 0") }
        }
        func positive(_ value: Double, _ key: String) throws(ConfigurationError) {
            guard value > 0, value.isFinite else { throw .invalid(key: "http.\(key)", reason: "must be greater than 0") }
        }
        guard eventLoops >= 0, eventLoops <= 1024 else {
            throw .invalid(key: "http.eventLoops", reason: "must be 0 (one per core) to 1024")
        }
        try positive(maxConnections, "maxConnections")
        try positive(maxHeaderBytes, "maxHeaderBytes")
        try positive(maxHeaderCount, "maxHeaderCount")
        try positive(maxURILength, "maxURILength")
        try positive(maxRequestBodyBytes, "maxRequestBodyBytes")
        try positive(headerReadTimeoutSeconds, "headerReadTimeoutSeconds")
        try positive(idleTimeoutSeconds, "idleTimeoutSeconds")
        try positive(bodyReadTimeoutSeconds, "bodyReadTimeoutSeconds")
        guard shutdownGraceSeconds >= 0, shutdownGraceSeconds.isFinite else {
            throw .invalid(key: "http.shutdownGraceSeconds", reason: "must be 0 or more")
        }
    }
}

/// Blob storage settings (`storage.*`).
public struct StorageSettings: Sendable, Equatable {
    /// Largest single blob (`storage.maxBlobBytes`). Chunks are at most 4 MiB plus padding.
    public var maxBlobBytes = 64 * 1024 * 1024
    /// Free space kept in reserve on the data file system (`storage.minFreeBytes`): uploads
    /// that would go below it are refused with 507 before anything is written.
    public var minFreeBytes: Int64 = 256 * 1024 * 1024
    /// Uploads of at least this many bytes are written with direct I/O, bypassing the page
    /// cache (`storage.directWriteMinBytes`); 0 turns direct writes off.
    public var directWriteMinBytes: Int64 = 1024 * 1024
    /// Blobs of at most this many bytes are kept in the metadata database, written by the
    /// transaction that records them, instead of in files (`storage.inlineMaxBytes`, 0 to
    /// 64 KiB; 0 keeps every blob in a file). docs/storage-blobs.md, "Two homes".
    public var inlineMaxBytes: Int64 = BlobLayer.defaultInlineMaxBytes

    public init() {}

    func validate() throws(ConfigurationError) {
        guard maxBlobBytes > 0 else { throw .invalid(key: "storage.maxBlobBytes", reason: "must be greater than 0") }
        guard minFreeBytes >= 0 else { throw .invalid(key: "storage.minFreeBytes", reason: "must be 0 or more") }
        guard directWriteMinBytes >= 0 else { throw .invalid(key: "storage.directWriteMinBytes", reason: "must be 0 or more") }
        guard (0...BlobLayer.inlineMaxBytesLimit).contains(inlineMaxBytes) else {
            throw .invalid(key: "storage.inlineMaxBytes", reason: "must be 0 to \(BlobLayer.inlineMaxBytesLimit / 1024) KiB")
        }
    }
}
