import COpenSSL
import Glibc

/// A TLS session on a non-blocking socket: one OpenSSL `SSL` plus the descriptor under it.
///
/// The handshake runs implicitly on the first `read`/`write` (or explicitly through
/// `handshake()`); each call does what the socket allows and reports `.wantRead`/`.wantWrite`
/// otherwise. After `.wantRead` or `.wantWrite` from `write`, call `write` again with the same
/// bytes (the buffer may move, but must start with the same bytes and be no shorter:
/// SSL_write(3)). Used from one event-loop thread only; `close()` frees the session and closes
/// the descriptor.
public final class TLSTransport: ConnectionTransport {
    /// The socket, or -1 once closed.
    public private(set) var fileDescriptor: Int32
    /// Always true: bytes go through TLS, so no `sendfile`.
    public var isEncrypted: Bool { true }

    /// The session; nil once closed.
    private(set) var session: OpaquePointer?
    /// Kept alive as long as the session: the socket BIO points at it.
    private let socketIO: TLSSocketIO
    /// Kept alive as long as the session: a pin's verify callback belongs to it.
    private let context: TLSContext
    /// Set after SSL_ERROR_SSL or SSL_ERROR_SYSCALL: SSL_shutdown(3) must not be called then.
    var hadFatalError = false

    /// A server-side session on an accepted socket (SSL_set_accept_state(3)). On success the
    /// transport owns `fileDescriptor`; on a throw the caller still does.
    public convenience init(acceptingOn fileDescriptor: Int32, context: TLSContext) throws(TLSError) {
        guard context.role == .server else {
            throw .invalidArgument("a server-side TLS transport needs a server context")
        }
        try self.init(fileDescriptor: fileDescriptor, context: context) { session throws(TLSError) in
            SSL_set_accept_state(session)
        }
    }

    /// A client-side session on a connected socket (SSL_set_connect_state(3)) to `serverName`, a
    /// DNS name or an IP address. The name goes into SNI (DNS names only, RFC 6066 §3) and, when
    /// the context verifies the chain, is checked against the certificate (SSL_set1_host(3),
    /// RFC 6125 §6). On success the transport owns `fileDescriptor`; on a throw the caller does.
    public convenience init(connectingOn fileDescriptor: Int32, context: TLSContext, serverName: String) throws(TLSError) {
        guard context.role == .client else {
            throw .invalidArgument("a client-side TLS transport needs a client context")
        }
        guard !serverName.isEmpty, serverName.utf8.count <= 253, !serverName.utf8.contains(0) else {
            throw .invalidArgument("the server name must be 1 to 253 bytes without NUL")
        }
        try self.init(fileDescriptor: fileDescriptor, context: context) { session throws(TLSError) in
            if !Self.isIPAddress(serverName) {
                guard coffre_ssl_set_tlsext_host_name(session, serverName) == 1 else {
                    throw TLSError.fromQueue("SSL_set_tlsext_host_name")
                }
            }
            if context.verifiesHostName {
                // No partial wildcards such as "w*.example.com" (RFC 6125 §7.2).
                SSL_set_hostflags(session, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
                guard SSL_set1_host(session, serverName) == 1 else { throw TLSError.fromQueue("SSL_set1_host") }
            }
            SSL_set_connect_state(session)
        }
    }

    private init(
        fileDescriptor: Int32, context: TLSContext, configure: (OpaquePointer) throws(TLSError) -> Void
    ) throws(TLSError) {
        guard fileDescriptor >= 0 else { throw .invalidArgument("invalid file descriptor") }
        let method = try TLSSocketBIOMethod.shared.get()
        let io = TLSSocketIO(fileDescriptor: fileDescriptor)
        ERR_clear_error()
        guard let session = SSL_new(context.handle) else { throw TLSError.fromQueue("SSL_new") }
        do throws(TLSError) {
            let bio = try method.makeBIO(on: io)
            // SSL_set_bio(3): one reference, consumed for both directions.
            SSL_set_bio(session, bio, bio)
            try configure(session)
        } catch {
            SSL_free(session)
            throw error
        }
        self.fileDescriptor = fileDescriptor
        self.session = session
        self.socketIO = io
        self.context = context
    }

    deinit { close() }

    /// Runs the handshake as far as the socket allows: `.done(0)` once it is complete.
    public func handshake() -> TransportResult {
        guard let session else { return .failed("the TLS transport is closed") }
        if SSL_is_init_finished(session) == 1 { return .done(0) }
        prepareCall()
        let status = SSL_do_handshake(session)
        if status == 1 { return .done(0) }
        return result(ofFailedCall: status, on: session)
    }

    /// Reads decrypted bytes (SSL_read_ex(3)); `.closed` on close_notify or end of stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportResult {
        guard let session else { return .failed("the TLS transport is closed") }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .failed("empty read buffer") }
        prepareCall()
        var count = 0
        let status = SSL_read_ex(session, base, buffer.count, &count)
        if status == 1 { return .done(count) }
        return result(ofFailedCall: status, on: session)
    }

    /// Encrypts and sends bytes (SSL_write_ex(3)); with partial writes enabled it may send fewer
    /// than given. An empty buffer writes nothing.
    public func write(_ buffer: UnsafeRawBufferPointer) -> TransportResult {
        guard let session else { return .failed("the TLS transport is closed") }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .done(0) }
        prepareCall()
        var count = 0
        let status = SSL_write_ex(session, base, buffer.count, &count)
        if status == 1 { return .done(count) }
        return result(ofFailedCall: status, on: session)
    }

    /// Sends close_notify if the handshake finished and nothing failed, without waiting for the
    /// peer's: SSL_shutdown(3) allows closing right after sending it. If the socket is full the
    /// alert is dropped; the peer then sees the end of the stream instead.
    public func shutdown() {
        guard let session, !hadFatalError, SSL_is_init_finished(session) == 1 else { return }
        prepareCall()
        // 0: sent, the peer's not yet received; 1: both done; <0: could not send now. In each
        // case the connection is closed next, so the result changes nothing.
        _ = SSL_shutdown(session)
        ERR_clear_error()
    }

    /// Frees the session and closes the descriptor; later calls do nothing.
    public func close() {
        guard fileDescriptor >= 0 else { return }
        if let session {
            SSL_free(session)
            self.session = nil
        }
        // close(2): on Linux the descriptor is released even when close fails with EINTR, so it
        // is never retried (a retry could close a descriptor another thread just opened).
        _ = Glibc.close(fileDescriptor)
        fileDescriptor = -1
    }

    /// Clears the thread's OpenSSL error queue and the socket's last errno, so the next error
    /// read belongs to this call and not to another connection on the same loop thread
    /// (ERR_clear_error(3), SSL_get_error(3)).
    private func prepareCall() {
        ERR_clear_error()
        socketIO.resetError()
    }

    /// Maps SSL_get_error(3) after a failed call; see `TLSTransport+Errors.swift`.
    private func result(ofFailedCall status: Int32, on session: OpaquePointer) -> TransportResult {
        classify(SSL_get_error(session, status), session: session, socketErrno: socketIO.lastErrno)
    }

    /// True for an IPv4 or IPv6 literal (inet_pton(3)).
    static func isIPAddress(_ name: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1
    }
}
