// http-bench-server: the routes of `BenchRoutes` on Coffre's `HTTPServer`, plain and over TLS,
// for `Benchmarks/http-bench.sh` (`make bench-http`), which runs wrk and curl against it and
// against nginx. Release build only; results in docs/performance.md ("HTTP server").
import ArgumentParser
import Foundation
import HTTPServer
import Logging

/// The benchmark server's command line.
@main
struct HTTPBenchServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-bench-server",
        abstract: "Serves GET /4k, /4k-inline, /files/NAME, /healthz and PUT /upload/NAME for http-bench.sh.",
        discussion: """
            Prints one line, "http-bench-server port P tls-port T pid N directory D", once both \
            listeners accept connections; runs until SIGINT or SIGTERM.
            """)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Plain HTTP port (0: any free port).")
    var port = 0

    @Option(help: "HTTPS port (0: any free port); used with --tls-cert and --tls-key.")
    var tlsPort = 0

    @Option(help: "PEM certificate chain: serve HTTPS too.")
    var tlsCert: String?

    @Option(help: "PEM private key (unencrypted) of --tls-cert.")
    var tlsKey: String?

    @Option(help: "Event loops per server (default: one per active CPU).")
    var loops: Int?

    @Option(help: "Upload directory (default: a new temporary directory, removed on exit).")
    var directory: String?

    @Option(help: "Largest accepted upload, in MiB.")
    var maxUploadMib: Int64 = 4096

    func validate() throws {
        guard (0...65_535).contains(port), (0...65_535).contains(tlsPort) else {
            throw ValidationError("ports must be 0...65535")
        }
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        if let loops, !(1...256).contains(loops) { throw ValidationError("--loops must be 1...256") }
        guard (1...1_048_576).contains(maxUploadMib) else { throw ValidationError("--max-upload-mib must be 1...1048576") }
    }

    func run() async throws {
        var logger = Logger(label: "http-bench-server")
        logger.logLevel = .warning
        let uploads = try directory ?? Self.makeTemporaryDirectory()
        let router = try BenchRoutes.router(directory: uploads, maxUploadBytes: maxUploadMib << 20)

        let plain = HTTPServer(configuration: serverConfiguration(port: port), responder: router, logger: logger)
        try plain.start()
        var servers = [plain]
        if let tlsCert, let tlsKey {
            let provider = try TLSContextProvider(certificateChainFile: tlsCert, privateKeyFile: tlsKey)
            var configuration = serverConfiguration(port: tlsPort)
            configuration.transportFactory = provider.transportFactory
            let secure = HTTPServer(configuration: configuration, responder: router, logger: logger)
            try secure.start()
            servers.append(secure)
        }
        let securePort = servers.count > 1 ? servers[1].localPort : 0
        // FileHandle writes unbuffered: the script reads this line while the server runs.
        FileHandle.standardOutput.write(Data(
            "http-bench-server port \(plain.localPort) tls-port \(securePort) pid \(getpid()) directory \(uploads)\n".utf8))

        _ = await ShutdownSignal.next()
        for server in servers { await server.shutdown(gracePeriod: .seconds(2)) }
        if directory == nil { try FileManager.default.removeItem(atPath: uploads) }
    }

    /// No access log, and keep-alive connections never retired by count (nginx gets
    /// `keepalive_requests 1000000` in the bench for the same reason).
    private func serverConfiguration(port: Int) -> HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration(host: host, port: port)
        if let loops { configuration.eventLoopCount = loops }
        configuration.accessLogLevel = nil
        configuration.limits.maxRequestsPerConnection = 1_000_000
        configuration.limits.maxRequestBodyBytes = maxUploadMib << 20
        return configuration
    }

    /// A new directory `http-bench-server.XXXXXX` under $TMPDIR or /tmp (mkdtemp(3), mode 0700).
    private static func makeTemporaryDirectory() throws(HTTPBenchError) -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/http-bench-server.XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw .lastSystemError("mkdtemp")
        }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
