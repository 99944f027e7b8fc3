import Glibc
import Logging

/// Everything an `HTTPServer` needs to know before it starts.
public struct HTTPServerConfiguration: Sendable {
    /// Builds the transport for an accepted socket; it takes ownership of the descriptor when it
    /// returns (on a throw the server closes the descriptor).
    public typealias TransportFactory = @Sendable (Int32) throws -> any ConnectionTransport

    /// Address to listen on: an IPv4 or IPv6 literal or a resolvable name; `::` listens on
    /// IPv6 and IPv4.
    public var host: String
    /// TCP port; 0 picks a free port, readable from `HTTPServer.localPort` after `start()`.
    public var port: Int
    /// Number of event loops, each a thread with its own epoll and listening socket.
    public var eventLoopCount: Int
    /// Size and time limits.
    public var limits: HTTPLimits
    /// Backlog of each listening socket (listen(2)).
    public var listenBacklog: Int32
    /// Creates the byte stream of each accepted connection; plain TCP by default, a TLS
    /// transport for HTTPS.
    public var transportFactory: TransportFactory
    /// Whether client addresses may appear in logs (off: privacy by default).
    public var logClientAddresses: Bool
    /// Level of the one-line access log entry per request, or nil for none. Entries hold the
    /// method, the route pattern (not the raw path: it holds identifiers), status, byte counts
    /// and duration; never the query string.
    public var accessLogLevel: Logger.Level?
    /// TCP congestion control algorithm (tcp(7) `TCP_CONGESTION`) set on connections from this
    /// host — a loopback address, or one of the host's own addresses, which also runs over the
    /// loopback interface (`HTTPRemoteAddress.isOnThisHost`) — or nil to keep the host's
    /// default. Reno by default: it never paces, while a host default of BBR paces loopback
    /// flows by timer for nothing, at about twice the CPU per large file response
    /// (`TCPCongestionControl`). Connections from other hosts always keep the host's choice. If
    /// the kernel refuses the algorithm, the server logs one warning and stops asking.
    public var loopbackCongestionControl: String?

    /// A configuration with the default limits, plain TCP and one event loop per active core.
    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
        self.eventLoopCount = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        self.limits = HTTPLimits()
        self.listenBacklog = 1024
        self.transportFactory = { PlainTransport(fileDescriptor: $0) }
        self.logClientAddresses = false
        self.accessLogLevel = .info
        self.loopbackCongestionControl = "reno"
    }
}
