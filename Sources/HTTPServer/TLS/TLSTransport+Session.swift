import COpenSSL

extension TLSTransport {
    /// The application protocol agreed by ALPN ("http/1.1"), or nil if none was.
    public var negotiatedApplicationProtocol: String? {
        guard let session else { return nil }
        var bytes: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(session, &bytes, &length)
        guard let bytes, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(length)), as: UTF8.self)
    }

    /// The protocol version in use ("TLSv1.2", "TLSv1.3") once the handshake is complete.
    public var protocolVersion: String? {
        guard let session, SSL_is_init_finished(session) == 1, let name = SSL_get_version(session) else { return nil }
        return String(cString: name)
    }

    /// The cipher suite in use (OpenSSL's name) once the handshake is complete.
    public var cipherSuite: String? {
        guard let session, SSL_is_init_finished(session) == 1, let cipher = SSL_get_current_cipher(session),
            let name = SSL_CIPHER_get_name(cipher)
        else { return nil }
        return String(cString: name)
    }

    /// SHA-256 fingerprint of the peer's leaf certificate, once the handshake has received it:
    /// what a client shows the user and pins on first use (SSL_get0_peer_certificate(3)).
    public var peerCertificateSHA256: [UInt8]? {
        guard let session, let certificate = SSL_get0_peer_certificate(session) else { return nil }
        return TLSCertificate.fingerprintSHA256(of: certificate)
    }

    /// A factory for the HTTP server's configuration (`transportFactory`): each accepted socket
    /// becomes a server-side TLS session on `context`.
    public static func serverFactory(context: TLSContext) -> @Sendable (Int32) throws -> any ConnectionTransport {
        { fileDescriptor in try TLSTransport(acceptingOn: fileDescriptor, context: context) }
    }
}
