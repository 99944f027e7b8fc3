import ArgumentParser
import CoffreProtocol
import CoffreServer
import Foundation
import Logging

/// `coffred`: the Coffre server. Thin: parsing flags and signals here, everything else in
/// `CoffreServer`.
@main
struct Coffred: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coffred",
        abstract: "The Coffre server: end-to-end encrypted file sync, storing only what it cannot read.",
        version: CoffreVersion.current,
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the server (the default command).",
        discussion: """
            Settings come from, highest priority first: these flags, COFFRE_* environment variables \
            and the YAML file given with --config (config/coffred.yaml documents every key). Without \
            any of them the server listens on 127.0.0.1:8080 with its data under ./data.
            SIGTERM or SIGINT: stop accepting, finish in-flight requests, exit 0. SIGHUP: reload the \
            TLS certificate and key.
            """)

    @Option(name: .long, help: "YAML configuration file.")
    var config: String?
    @Option(name: .long, help: "Data directory (SQLite database, blobs). Default ./data.")
    var data: String?
    @Option(name: .long, help: "Address to listen on: HOST:PORT, [IPv6]:PORT or localhost:PORT. Default 127.0.0.1:8080.")
    var listen: String?
    @Option(name: .long, help: "TLS certificate chain (PEM).")
    var tlsCert: String?
    @Option(name: .long, help: "TLS private key (PEM).")
    var tlsKey: String?
    @Flag(name: .long, help: "Allow plain HTTP on a non-loopback address (only behind a TLS-terminating proxy).")
    var allowInsecureHttp = false
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?
    @Option(name: .long, help: "Log format: text or json.")
    var logFormat: String?

    func run() async throws {
        var overrides: [String: String] = [:]
        overrides["data"] = data
        overrides["listen"] = listen
        overrides["tls.cert"] = tlsCert
        overrides["tls.key"] = tlsKey
        overrides["log.level"] = logLevel
        overrides["log.format"] = logFormat
        if allowInsecureHttp { overrides["allowInsecureHTTP"] = "true" }
        let environment = ProcessInfo.processInfo.environment
        let configFile = config ?? environment["COFFRE_CONFIG"]

        let settings: ServerConfiguration
        do {
            settings = try await ServerConfiguration.load(configFile: configFile, environment: environment, overrides: overrides)
        } catch {
            // Exit status 2: the settings are wrong (1 is for a failure to start with good ones).
            FileHandle.standardError.write(Data("coffred: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let format = StructuredLogHandler.Format(rawValue: settings.logFormat) ?? .text
        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, format: format, level: level) }
        let logger = Logger(label: "coffred")
        ProcessLimits.raiseOpenFileLimit(logger: logger)

        let application: ServerApplication
        do {
            application = try await ServerApplication(configuration: settings, logger: logger)
            let url = try application.start()
            // One line on stdout for people and scripts; everything else is logged to stderr.
            FileHandle.standardOutput.write(Data("coffred listening on \(url)\n".utf8))
        } catch {
            logger.critical("coffred could not start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }

        let signals = SignalWatcher(
            onStop: { signal in
                logger.notice("stopping", metadata: ["signal": "\(signal == SIGTERM ? "SIGTERM" : "SIGINT")"])
                Task { await application.shutdown() }
            },
            onReload: {
                do { try application.reloadTLS() } catch {
                    logger.error("TLS reload failed; the previous certificate stays in service", metadata: ["error": "\(error)"])
                }
            })
        await application.waitUntilStopped()
        signals.cancel()
    }
}
