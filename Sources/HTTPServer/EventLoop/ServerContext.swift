import Logging
import Synchronization

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
    /// Set once the kernel refused `loopbackCongestionControl`: warned about once, not asked again.
    private let congestionControlRefused = Atomic(false)

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

    /// Gives a connection accepted from this host — a loopback address, or one of the host's
    /// own addresses (`HTTPRemoteAddress.isOnThisHost`) — the configured congestion control
    /// (`HTTPServerConfiguration.loopbackCongestionControl`). A refusal leaves the connection on
    /// the host's default, which works, only slower: it is logged once as a warning with the
    /// system's error, and later connections are not asked again.
    func tuneAcceptedSocket(_ descriptor: Int32, from address: HTTPRemoteAddress) {
        guard let algorithm = configuration.loopbackCongestionControl, !congestionControlRefused.load(ordering: .relaxed),
            address.isOnThisHost(connectedOn: descriptor)
        else { return }
        do {
            try TCPCongestionControl.set(algorithm, on: descriptor)
        } catch {
            guard !congestionControlRefused.exchange(true, ordering: .relaxed) else { return }
            logger.warning(
                "loopback connections keep the host's congestion control",
                metadata: ["algorithm": "\(algorithm)", "error": "\(error)"])
        }
    }
}
