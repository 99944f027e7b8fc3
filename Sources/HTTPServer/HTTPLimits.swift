/// The limits the server enforces on every connection; all configurable, with defaults chosen
/// for a file sync server (large streamed bodies, small heads).
public struct HTTPLimits: Sendable {
    /// Largest request head (request line + header section), in bytes; 431 beyond (RFC 6585 §5).
    public var maxRequestHeadBytes = 16 * 1024
    /// Most header lines in one request; 431 beyond.
    public var maxHeaderCount = 100
    /// Longest request target, in bytes; 414 beyond (RFC 9112 §3).
    public var maxURILength = 8 * 1024
    /// Largest request body unless the route sets its own; 413 beyond (RFC 9110 §15.5.14).
    public var maxRequestBodyBytes: Int64 = 16 * 1024 * 1024
    /// The whole request head must arrive within this time after its first byte (slowloris);
    /// 408 after it.
    public var headerReadTimeout: Duration = .seconds(10)
    /// Longest wait for the next request-body bytes while the handler waits for them.
    public var bodyReadIdleTimeout: Duration = .seconds(30)
    /// How long a connection may sit idle between requests before it is closed.
    public var keepAliveIdleTimeout: Duration = .seconds(60)
    /// Longest time a response write may make no progress (the client stopped reading).
    public var writeProgressTimeout: Duration = .seconds(30)
    /// Open connections across all event loops; excess connections are closed right after
    /// accept, without a response (a 503 would cost the buffers the limit protects).
    public var maxConnections = 16_384
    /// Requests served on one connection before the server closes it (`Connection: close`).
    public var maxRequestsPerConnection = 10_000
    /// Request-body bytes buffered for a handler before the server stops reading the socket
    /// (back-pressure high-water mark); reading resumes when half of it was consumed.
    public var requestBodyBufferBytes = 256 * 1024
    /// Response bytes queued on a connection before a streaming writer's `write` suspends.
    public var responseBufferBytes = 256 * 1024
    /// Longest chunk extension accepted on one chunk-size line (RFC 9112 §7.1.1).
    public var maxChunkExtensionBytes = 1024
    /// Largest trailer section accepted, then discarded (RFC 9112 §7.1.2).
    public var maxTrailerBytes = 16 * 1024

    /// The defaults listed on each property.
    public init() {}
}
