import Logging

/// What every event loop of one server shares: immutable configuration, the responder, the
/// logger and the lock-free metrics.
final class ServerContext: Sendable {
    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    /// The responder's lean fast lane, read once.
    let fastLane: (any HTTPFastLane)?
    let logger: Logger
    let metrics: HTTPServerMetrics
    let headLimits: HTTPRequestHeadParser.Limits
    let headerReadTimeout: UInt64
    let bodyReadIdleTimeout: UInt64
    let keepAliveIdleTimeout: UInt64
    let writeProgressTimeout: UInt64
    /// How long a closing connection keeps reading (and discarding) after its last response,
    /// so the client receives that response instead of a reset (RFC 9112 §9.6).
    let lingerTimeout: UInt64 = 2_000_000_000
    /// Most bytes discarded while lingering.
    let lingerMaxBytes = 4 * 1024 * 1024

    init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger) {
        self.configuration = configuration
        self.responder = responder
        self.fastLane = responder.fastLane
        self.logger = logger
        self.metrics = HTTPServerMetrics()
        let limits = configuration.limits
        self.headLimits = .init(
            maxHeadBytes: limits.maxRequestHeadBytes, maxHeaderCount: limits.maxHeaderCount, maxURILength: limits.maxURILength)
        self.headerReadTimeout = SystemCall.nanoseconds(limits.headerReadTimeout)
        self.bodyReadIdleTimeout = SystemCall.nanoseconds(limits.bodyReadIdleTimeout)
        self.keepAliveIdleTimeout = SystemCall.nanoseconds(limits.keepAliveIdleTimeout)
        self.writeProgressTimeout = SystemCall.nanoseconds(limits.writeProgressTimeout)
    }
}
