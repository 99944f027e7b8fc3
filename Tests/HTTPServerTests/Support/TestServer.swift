import HTTPServer
import Logging
import Synchronization

/// Starts a server on 127.0.0.1 port 0 for one test, runs `body`, then shuts it down.
func withTestServer(
    router: HTTPRouter,
    configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    _ body: (HTTPServer, Int) async throws -> Void
) async throws {
    var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
    configuration.eventLoopCount = 2
    configuration.accessLogLevel = nil
    // Patient timeouts: a full test run keeps both cores (and the two-thread cooperative pool)
    // busy for tens of seconds, and a test's client task may not run for that long. These
    // only guard against hangs here; the tests of the timeouts themselves set short ones.
    configuration.limits.headerReadTimeout = .seconds(600)
    configuration.limits.bodyReadIdleTimeout = .seconds(600)
    configuration.limits.keepAliveIdleTimeout = .seconds(600)
    configuration.limits.writeProgressTimeout = .seconds(600)
    configure(&configuration)
    let server = HTTPServer(configuration: configuration, responder: router, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    try server.start()
    do {
        try await body(server, server.localPort)
    } catch {
        await server.shutdown(gracePeriod: .milliseconds(100))
        throw error
    }
    await server.shutdown(gracePeriod: .milliseconds(500))
}

/// One request on a fresh connection; returns the response.
func exchange(_ port: Int, _ request: String, head: Bool = false) async throws -> TestClient.Response {
    try await blocking {
        let client = try TestClient(port: port)
        try client.send(request)
        return try client.readResponse(head: head)
    }
}

/// A value set by one task and awaited by another (polling; tests only).
final class Flag<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)

    func set(_ newValue: Value) { value.withLock { $0 = newValue } }
    var current: Value? { value.withLock { $0 } }

    /// Waits until set (up to ~10 s) and returns the value.
    func wait() async throws -> Value? {
        for _ in 0..<1000 {
            if let current { return current }
            try await Task.sleep(for: .milliseconds(10))
        }
        return current
    }
}
