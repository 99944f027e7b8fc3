import CoffreServer
import Foundation
import CoffreProtocol
import Testing

@Suite struct ServerConfigurationTests {
    private func writeTemp(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("coffred-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func defaultsAreLoopbackWithoutTLS() async throws {
        let config = try await ServerConfiguration.load(configFile: nil, environment: [:])
        #expect(config == ServerConfiguration())
        #expect(config.listen.description == "127.0.0.1:8080")
        #expect(config.listen.isLoopback)
        #expect(!config.tlsEnabled)
    }

    @Test func flagsBeatEnvironmentBeatsFile() async throws {
        let file = try writeTemp("""
            listen: 127.0.0.1:9000
            data: /srv/coffre
            http:
              maxConnections: 50
              maxHeaderBytes: 32KiB
            log:
              level: debug
            """)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let config = try await ServerConfiguration.load(
            configFile: file,
            environment: ["COFFRE_LISTEN": "127.0.0.1:9001", "COFFRE_HTTP_MAX_CONNECTIONS": "60", "UNRELATED": "x"],
            overrides: ["listen": "127.0.0.1:9002"])
        #expect(config.listen.port == 9002)
        #expect(config.http.maxConnections == 60)
        #expect(config.http.maxHeaderBytes == 32 * 1024)
        #expect(config.dataDirectory == "/srv/coffre")
        #expect(config.logLevel == "debug")
    }

    @Test func camelCaseKeysMapToEnvironmentNames() async throws {
        let config = try await ServerConfiguration.load(
            configFile: nil,
            environment: [
                "COFFRE_LISTEN": "0.0.0.0:8080", "COFFRE_ALLOW_INSECURE_HTTP": "true",
                "COFFRE_STORAGE_MIN_FREE_BYTES": "1GiB", "COFFRE_LOG_CLIENT_ADDRESSES": "yes",
            ])
        #expect(config.allowInsecureHTTP)
        #expect(config.storage.minFreeBytes == 1 << 30)
        #expect(config.logClientAddresses)
    }

    @Test func nonLoopbackWithoutTLSIsRefused() async throws {
        await #expect(throws: ConfigurationError.self) {
            try await ServerConfiguration.load(configFile: nil, environment: [:], overrides: ["listen": "0.0.0.0:8080"])
        }
        await #expect(throws: ConfigurationError.self) {
            try await ServerConfiguration.load(configFile: nil, environment: [:], overrides: ["listen": "[::]:8080"])
        }
        let withTLS = try await ServerConfiguration.load(
            configFile: nil, environment: [:],
            overrides: ["listen": "0.0.0.0:8443", "tls.cert": "/c.pem", "tls.key": "/k.pem"])
        #expect(withTLS.tlsEnabled)
        let proxied = try await ServerConfiguration.load(
            configFile: nil, environment: [:], overrides: ["listen": "192.168.1.2:80", "allowInsecureHTTP": "true"])
        #expect(!proxied.listen.isLoopback)
    }

    @Test(arguments: [
        ["listen": "example.com:80"], ["listen": "127.0.0.1"], ["listen": "127.0.0.1:70000"], ["listen": "::1:80"],
        ["http.maxConnections": "many"], ["http.maxConnections": "0"], ["storage.maxBlobBytes": "12XB"],
        ["log.format": "xml"], ["log.level": "loud"], ["allowInsecureHTTP": "maybe"], ["tls.cert": "/only-cert.pem"],
        ["http.idleTimeoutSeconds": "-1"], ["storage.minFreeBytes": "99999999999999999999"],
    ])
    func malformedValuesAreClearErrors(_ overrides: [String: String]) async throws {
        await #expect(throws: ConfigurationError.self) {
            try await ServerConfiguration.load(configFile: nil, environment: [:], overrides: overrides)
        }
    }

    @Test func missingOrMalformedFileIsAnError() async throws {
        await #expect(throws: ConfigurationError.self) {
            try await ServerConfiguration.load(configFile: "/nonexistent/coffred.yaml", environment: [:])
        }
        let file = try writeTemp("listen: [unclosed\n  - :")
        defer { try? FileManager.default.removeItem(atPath: file) }
        await #expect(throws: ConfigurationError.self) {
            try await ServerConfiguration.load(configFile: file, environment: [:])
        }
    }

    @Test func listenAddressForms() throws {
        #expect(try ListenAddress(parsing: "[::1]:8080").isLoopback)
        #expect(try ListenAddress(parsing: "127.5.6.7:1").isLoopback)
        #expect(try ListenAddress(parsing: "localhost:0").bindHost == "127.0.0.1")
        #expect(try !ListenAddress(parsing: ":8080").isLoopback)
        #expect(try ListenAddress(parsing: "[::1]:8080").description == "[::1]:8080")
    }

    @Test func byteSizes() {
        #expect(ByteSize.parse("1048576") == 1_048_576)
        #expect(ByteSize.parse("64 MiB") == 64 << 20)
        #expect(ByteSize.parse("2GB") == 2_000_000_000)
        #expect(ByteSize.parse("-1") == nil)
        #expect(ByteSize.parse("MiB") == nil)
        #expect(ByteSize.format(1536) == "1.5 KiB")
        #expect(ByteSize.format(10) == "10 B")
    }
}

@Suite struct ExampleConfigurationFileTests {
    /// The documented example in config/ must load and equal the built-in defaults it documents.
    @Test func exampleFileMatchesDefaults() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("config/coffred.yaml").path
        let config = try await ServerConfiguration.load(configFile: path, environment: [:])
        #expect(config == ServerConfiguration())
    }
}
