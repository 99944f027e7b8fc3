import CoffreProtocol
import Configuration
import SystemPackage

extension ServerConfiguration {
    /// Loads the configuration from, highest priority first: `overrides` (command-line flags,
    /// keyed like the YAML file: `listen`, `tls.cert`...), the `COFFRE_*` variables of
    /// `environment` (`COFFRE_LISTEN`, `COFFRE_TLS_CERT`, `COFFRE_HTTP_MAX_CONNECTIONS`...), and the
    /// YAML file at `configFile` when one is given (a missing file is an error). Unset keys keep
    /// their defaults. The result is validated.
    public static func load(
        configFile: String?,
        environment: [String: String],
        overrides: [String: String] = [:]
    ) async throws(ConfigurationError) -> ServerConfiguration {
        var providers: [any ConfigProvider] = [
            InMemoryProvider(
                name: "flags",
                values: Dictionary(uniqueKeysWithValues: overrides.map { key, value in
                    (AbsoluteConfigKey(key.split(separator: ".").map(String.init)), ConfigValue(.string(value), isSecret: false))
                })),
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: ["coffre"]),
        ]
        if let configFile {
            do {
                providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(configFile)))
            } catch {
                throw .unreadableFile(path: configFile, reason: String(describing: error))
            }
        }
        return try ConfigurationValues(reader: ConfigReader(providers: providers)).configuration()
    }
}

/// Reads every key as text and parses it here, so a malformed value is a clear error instead of
/// silently falling back to the default.
private struct ConfigurationValues {
    let reader: ConfigReader

    func configuration() throws(ConfigurationError) -> ServerConfiguration {
        var config = ServerConfiguration()
        if let text = string("listen") { config.listen = try ListenAddress(parsing: text) }
        config.dataDirectory = string("data") ?? config.dataDirectory
        config.tlsCertificatePath = string("tls.cert")
        config.tlsKeyPath = string("tls.key")
        config.allowInsecureHTTP = try bool("allowInsecureHTTP") ?? config.allowInsecureHTTP
        config.logLevel = string("log.level") ?? config.logLevel
        config.logFormat = string("log.format") ?? config.logFormat
        config.logClientAddresses = try bool("log.clientAddresses") ?? config.logClientAddresses

        var http = config.http
        http.eventLoops = try int("http.eventLoops") ?? http.eventLoops
        http.maxConnections = try int("http.maxConnections") ?? http.maxConnections
        http.maxHeaderBytes = try size("http.maxHeaderBytes").map(Int.init) ?? http.maxHeaderBytes
        http.maxHeaderCount = try int("http.maxHeaderCount") ?? http.maxHeaderCount
        http.maxURILength = try size("http.maxURILength").map(Int.init) ?? http.maxURILength
        http.maxRequestBodyBytes = try size("http.maxRequestBodyBytes").map(Int.init) ?? http.maxRequestBodyBytes
        http.headerReadTimeoutSeconds = try seconds("http.headerReadTimeoutSeconds") ?? http.headerReadTimeoutSeconds
        http.idleTimeoutSeconds = try seconds("http.idleTimeoutSeconds") ?? http.idleTimeoutSeconds
        http.bodyReadTimeoutSeconds = try seconds("http.bodyReadTimeoutSeconds") ?? http.bodyReadTimeoutSeconds
        http.shutdownGraceSeconds = try seconds("http.shutdownGraceSeconds") ?? http.shutdownGraceSeconds
        config.http = http

        config.storage.maxBlobBytes = try size("storage.maxBlobBytes").map(Int.init) ?? config.storage.maxBlobBytes
        config.storage.minFreeBytes = try size("storage.minFreeBytes") ?? config.storage.minFreeBytes
        config.storage.directWriteMinBytes = try size("storage.directWriteMinBytes") ?? config.storage.directWriteMinBytes
        config.storage.inlineMaxBytes = try size("storage.inlineMaxBytes") ?? config.storage.inlineMaxBytes

        config.sync.retentionDays = try int("sync.retentionDays") ?? config.sync.retentionDays
        config.sync.retentionMinRevisions = try int("sync.retentionMinRevisions") ?? config.sync.retentionMinRevisions

        config.maintenance.intervalSeconds = try int("maintenance.intervalSeconds") ?? config.maintenance.intervalSeconds
        config.maintenance.gcGraceSeconds =
            try int("maintenance.gcGraceSeconds").map(Int64.init) ?? config.maintenance.gcGraceSeconds

        if let text = string("accounts.defaultQuotaBytes") {
            config.accounts.defaultQuotaBytes = try optionalSize("accounts.defaultQuotaBytes", text)
        }

        try config.validate()
        return config
    }

    private func string(_ key: String) -> String? {
        guard let value = reader.string(forKey: ConfigKey(key.split(separator: ".").map(String.init))) else { return nil }
        let trimmed = value.trimmingWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }

    private func int(_ key: String) throws(ConfigurationError) -> Int? {
        guard let text = string(key) else { return nil }
        guard let value = Int(text) else { throw .invalid(key: key, reason: "expected a whole number") }
        return value
    }

    private func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let text = string(key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw .invalid(key: key, reason: "expected true or false")
        }
    }

    private func seconds(_ key: String) throws(ConfigurationError) -> Double? {
        guard let text = string(key) else { return nil }
        guard let value = Double(text), value.isFinite else { throw .invalid(key: key, reason: "expected seconds") }
        return value
    }

    /// A byte size: a whole number with an optional binary suffix (`64MiB`, `16 KiB`, `1GiB`) or
    /// decimal one (`500MB`).
    private func size(_ key: String) throws(ConfigurationError) -> Int64? {
        guard let text = string(key) else { return nil }
        guard let value = ByteSize.parse(text) else {
            throw .invalid(key: key, reason: "expected a size such as 1048576, 512KiB, 64MiB or 2GB")
        }
        return value
    }

    /// A byte size, or `unlimited` / `null` / `none` for no limit.
    private func optionalSize(_ key: String, _ text: String) throws(ConfigurationError) -> Int64? {
        if ["unlimited", "null", "none", "~"].contains(text.lowercased()) { return nil }
        guard let value = ByteSize.parse(text) else {
            throw .invalid(key: key, reason: "expected a size such as 10GiB, or unlimited")
        }
        return value
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
