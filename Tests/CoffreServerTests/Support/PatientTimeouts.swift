import HTTPServer

/// Timeouts for the servers and clients that tests start in this process. A full test run keeps
/// both cores and the two-thread cooperative pool busy for tens of seconds at a time, and a
/// test's own task (the client reading an answer, the handler writing one) may not run for that
/// long; the product's timeouts (10–75 s) would then cut healthy exchanges. Here they only guard
/// against hangs; tests of the timeouts themselves set short ones explicitly.
enum PatientTimeouts {
    static let duration: Duration = .seconds(600)

    /// `limits` with every connection timeout set to `duration`.
    static func apply(to limits: inout HTTPLimits) {
        limits.headerReadTimeout = duration
        limits.bodyReadIdleTimeout = duration
        limits.keepAliveIdleTimeout = duration
        limits.writeProgressTimeout = duration
    }

    /// A client whose connect, read and write timeouts are `duration`.
    static func client() throws -> HTTPClient {
        var configuration = HTTPClientConfiguration()
        configuration.connectTimeout = duration
        configuration.readIdleTimeout = duration
        configuration.writeIdleTimeout = duration
        return try HTTPClient(configuration: configuration)
    }
}
