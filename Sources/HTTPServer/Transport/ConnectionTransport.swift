/// What one non-blocking read or write on a connection's transport did.
///
/// The event loop drives every connection through this, so a plain socket and a TLS session
/// (whose handshake or renegotiation may need the *other* direction) look the same to it:
/// `.wantRead` means "call again when the socket is readable", `.wantWrite` "when writable".
public enum TransportResult: Sendable, Equatable {
    /// `count` bytes were read or written (for a read, 0 is never returned: see `.closed`).
    case done(Int)
    /// Nothing could be done now; retry when the socket is readable.
    case wantRead
    /// Nothing could be done now; retry when the socket is writable.
    case wantWrite
    /// The peer closed the stream (EOF on read, EPIPE/ECONNRESET on write, TLS close_notify).
    case closed
    /// A fatal error: the connection must be closed. The text never holds user data.
    case failed(String)
}

/// The byte stream under one HTTP connection: a plain TCP socket or a TLS session on it.
///
/// Each transport owns its file descriptor (and SSL*, for TLS) and closes it exactly once in
/// `close()`. It is used from one event-loop thread only.
public protocol ConnectionTransport: AnyObject {
    /// The socket, for epoll registration and `sendfile`.
    var fileDescriptor: Int32 { get }
    /// True when the bytes go through TLS (no `sendfile`; response bodies are read and written).
    var isEncrypted: Bool { get }
    /// Reads up to `buffer.count` bytes without blocking.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportResult
    /// Writes up to `buffer.count` bytes without blocking; may write fewer.
    func write(_ buffer: UnsafeRawBufferPointer) -> TransportResult
    /// Sends a close notification where the protocol has one (TLS close_notify), without blocking.
    func shutdown()
    /// Closes the descriptor (and frees TLS state). Idempotent.
    func close()
}
