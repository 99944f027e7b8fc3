import Glibc

/// A `ConnectionTransport` over a plain, non-blocking TCP socket, which it owns.
public final class PlainTransport: ConnectionTransport {
    /// The connected socket.
    public let fileDescriptor: Int32
    /// Always false: bytes go to the socket as they are.
    public var isEncrypted: Bool { false }
    private var isClosed = false

    /// Takes ownership of a connected, non-blocking socket.
    public init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    deinit { close() }

    /// read(2): `.done(n)`, `.wantRead` on EAGAIN, `.closed` on EOF or reset.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportResult {
        let count = SystemCall.retryingOnInterrupt { Glibc.read(fileDescriptor, buffer.baseAddress, buffer.count) }
        if count > 0 { return .done(count) }
        if count == 0 { return .closed }
        return Self.failure(errno, call: "read", blocked: .wantRead)
    }

    /// send(2) with MSG_NOSIGNAL: `.done(n)`, `.wantWrite` on EAGAIN, `.closed` on EPIPE/reset.
    public func write(_ buffer: UnsafeRawBufferPointer) -> TransportResult {
        // MSG_NOSIGNAL: a peer that went away yields EPIPE instead of SIGPIPE (send(2)).
        let count = SystemCall.retryingOnInterrupt {
            send(fileDescriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
        }
        if count >= 0 { return .done(count) }
        return Self.failure(errno, call: "send", blocked: .wantWrite)
    }

    /// Half-closes the sending side (shutdown(2), SHUT_WR): the peer reads EOF after the
    /// bytes already sent, while this side can still read (RFC 9112 §9.6 staged close).
    public func shutdown() {
        guard !isClosed else { return }
        _ = Glibc.shutdown(fileDescriptor, Int32(SHUT_WR))
    }

    /// Closes the socket once.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        SystemCall.close(fileDescriptor)
    }

    /// What a failed socket call's `errno` means for the connection: `blocked` on EAGAIN,
    /// `.closed` when the peer went away, `.failed` otherwise. Also used by the connection's own
    /// send(2) and sendfile(2) calls on a plain socket.
    static func failure(_ code: Int32, call: String, blocked: TransportResult) -> TransportResult {
        switch code {
        case EAGAIN, EWOULDBLOCK: return blocked
        case ECONNRESET, EPIPE, ENOTCONN, ETIMEDOUT: return .closed
        default: return .failed("\(call): \(String(cString: strerror(code)))")
        }
    }
}
