/// Everything an `HTTPClient` needs to know before its first request.
public struct HTTPClientConfiguration: Sendable {
    /// How HTTPS servers are verified (a request may override it).
    public var tlsTrust: TLSClientTrust
    /// Longest time for the TCP connect (every address tried) and the TLS handshake together,
    /// per connection. Name resolution is bounded by the system resolver's own timeouts.
    public var connectTimeout: Duration
    /// Longest time without any response byte while a response is awaited or its body read;
    /// a request may override it (a long poll held for a minute needs ~90 s).
    public var readIdleTimeout: Duration
    /// Longest time the server may accept no request bytes while the request is written.
    public var writeIdleTimeout: Duration
    /// How long a request with `Expect: 100-continue` holds its body waiting for the server's
    /// 100 or final status before sending it anyway (RFC 9110 §10.1.1).
    public var expectContinueTimeout: Duration
    /// Most connections open at once to one scheme, host, port and trust; further requests
    /// wait for one.
    public var maxConnectionsPerHost: Int
    /// Most idle keep-alive connections kept across all hosts; 0 closes every connection
    /// after its response.
    public var maxIdleConnections: Int
    /// An idle connection older than this is closed instead of reused (keep it below the
    /// servers' keep-alive timeout: coffred's is 60 s).
    public var idleConnectionTimeout: Duration
    /// Largest response head (status line and fields), in bytes.
    public var maxResponseHeadBytes: Int
    /// Most field lines in one response head.
    public var maxResponseHeaderCount: Int
    /// Sent as `User-Agent` unless the request has one; nil sends none.
    public var userAgent: String?
    /// TCP congestion control for connections to this host — a loopback address or one of the
    /// host's own (`HTTPRemoteAddress.isOnThisHost`) — (tcp(7) `TCP_CONGESTION`), "reno" by
    /// default; nil keeps the host's default. The sending side of a flow paces it:
    /// on a host whose default is BBR, loopback (no `fq` qdisc) is paced by the kernel's timer
    /// although it has no bottleneck, which costs request bodies sent to a local server CPU
    /// and rate, as `HTTPServerConfiguration.loopbackCongestionControl` explains for responses.
    /// A refusal leaves the connection on the default; it is not an error.
    public var loopbackCongestionControl: String?

    /// The defaults listed on each property: system trust store, connect 10 s, read 30 s,
    /// write 30 s, continue 1 s, 8 connections per host, 32 idle kept for 50 s, heads up to
    /// 64 KiB and 128 fields, user agent "coffre", Reno towards loopback addresses.
    public init(tlsTrust: TLSClientTrust = .systemTrustStore) {
        self.tlsTrust = tlsTrust
        self.connectTimeout = .seconds(10)
        self.readIdleTimeout = .seconds(30)
        self.writeIdleTimeout = .seconds(30)
        self.expectContinueTimeout = .seconds(1)
        self.maxConnectionsPerHost = 8
        self.maxIdleConnections = 32
        self.idleConnectionTimeout = .seconds(50)
        self.maxResponseHeadBytes = 64 * 1024
        self.maxResponseHeaderCount = 128
        self.userAgent = "coffre"
        self.loopbackCongestionControl = "reno"
    }
}
