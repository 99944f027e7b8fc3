import CoffreClient
import HTTPServer
import Logging

/// A loopback HTTP server answering with a test's own routes, and a `SyncAPIClient` pointed at
/// it: for the client's wire handling against scripted answers.
enum ScriptedSyncServer {
    /// Starts `router` on port 0, runs `body` with a client for it, and stops both, also when
    /// `body` throws.
    static func run(_ router: HTTPRouter, _ body: (SyncAPIClient) async throws -> Void) async throws {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoopCount = 1
        configuration.accessLogLevel = nil
        PatientTimeouts.apply(to: &configuration.limits)
        let server = HTTPServer(
            configuration: configuration, responder: router, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try server.start()
        let http = try PatientTimeouts.client()
        do {
            try await body(SyncAPIClient(http: http, server: try ServerURL(parsing: "http://127.0.0.1:\(server.localPort)"), token: "cft_test"))
        } catch {
            http.shutdown()
            await server.shutdown(gracePeriod: .milliseconds(100))
            throw error
        }
        http.shutdown()
        await server.shutdown(gracePeriod: .milliseconds(100))
    }
}
