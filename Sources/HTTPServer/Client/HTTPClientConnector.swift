import Glibc

/// Opens connections: resolves the host, connects to its addresses in turn within the connect
/// timeout, and for HTTPS runs the TLS handshake (SNI, name check or pin, through
/// `TLSContext.client`) before the connection is used.
struct HTTPClientConnector: Sendable {
    let loop: HTTPClientEventLoop
    /// Nanoseconds for connect and handshake together.
    let connectTimeout: UInt64
    /// Congestion control set on connections to a loopback address; nil keeps the host's.
    let loopbackCongestionControl: String?

    /// A connected (and for HTTPS, handshaken) connection to `key`.
    func open(_ key: HTTPClientPoolKey, tlsContext: TLSContext?) async throws(HTTPClientError) -> HTTPClientConnection {
        let addresses = try await HTTPClientResolver.resolve(host: key.host, port: key.port)
        let deadline = SystemCall.monotonicNanoseconds() + connectTimeout
        var lastFailure = HTTPClientError.connectionRefused(host: key.host, port: key.port)
        for address in addresses {
            let socket = try ConnectingSocket(family: address.family)
            switch try await socket.connect(to: address, loop: loop, deadline: deadline) {
            case .connected:
                let descriptor = socket.takeDescriptor()
                tune(descriptor, connectedTo: address)
                return try await secure(descriptor, key: key, tlsContext: tlsContext, deadline: deadline)
            case .timedOut:
                throw .connectTimeout(host: key.host, port: key.port)
            case .refused:
                continue
            case .failed(let code):
                // Unreachable network or host for this address family: try the next address.
                lastFailure = .connectFailed(host: key.host, port: key.port, reason: String(cString: strerror(code)))
            }
        }
        throw lastFailure
    }

    /// Sets `loopbackCongestionControl` on a connection to this host (a loopback address, or
    /// one of the host's own: `HTTPRemoteAddress.isOnThisHost`), before any request byte is
    /// sent. Best effort: a refusal (an algorithm this process may not choose) leaves the
    /// host's default, which works, only paced.
    private func tune(_ descriptor: Int32, connectedTo address: HTTPClientResolver.Address) {
        guard let algorithm = loopbackCongestionControl,
            HTTPRemoteAddress(address.storage).isOnThisHost(connectedOn: descriptor)
        else { return }
        try? TCPCongestionControl.set(algorithm, on: descriptor)
    }

    /// Wraps a connected socket in its transport; for HTTPS, completes the handshake.
    private func secure(
        _ descriptor: Int32, key: HTTPClientPoolKey, tlsContext: TLSContext?, deadline: UInt64
    ) async throws(HTTPClientError) -> HTTPClientConnection {
        guard let tlsContext else {
            return HTTPClientConnection(
                key: key, loop: loop, transport: PlainTransport(fileDescriptor: descriptor), peerCertificateSHA256: nil)
        }
        let transport: TLSTransport
        do {
            transport = try TLSTransport(connectingOn: descriptor, context: tlsContext, serverName: key.host)
        } catch {
            SystemCall.close(descriptor)
            throw .tls(reason: error.description)
        }
        // The transport owns the descriptor from here and closes it when released on a throw.
        while true {
            let events: EpollInstance.Events
            switch transport.handshake() {
            case .done:
                return HTTPClientConnection(
                    key: key, loop: loop, transport: transport, peerCertificateSHA256: transport.peerCertificateSHA256)
            case .wantRead: events = .readable
            case .wantWrite: events = .writable
            case .closed: throw .tls(reason: "the server closed the connection during the handshake")
            case .failed(let text): throw .tls(reason: text)
            }
            switch await loop.wait(for: events, on: transport.fileDescriptor, deadline: deadline) {
            case .ready: continue
            case .timedOut: throw .connectTimeout(host: key.host, port: key.port)
            case .cancelled: throw .cancelled
            case .shutDown: throw .shutDown
            }
        }
    }
}
