import COpenSSL

/// One configured OpenSSL `SSL_CTX` for the server or the client side of TLS.
///
/// Both sides: TLS 1.2 minimum, TLS 1.2 cipher suites limited to ECDHE with AES-GCM or
/// ChaCha20-Poly1305, OpenSSL's TLS 1.3 defaults, no compression, no renegotiation, ALPN
/// "http/1.1". Build one with `server(certificateChainFile:privateKeyFile:)` or `client(trust:)`;
/// sessions are made from it by `TLSTransport`.
public final class TLSContext: @unchecked Sendable {
    // @unchecked Sendable: the SSL_CTX is fully configured before the factory methods return it and
    // is never changed afterwards; OpenSSL allows any number of threads to call SSL_new on such a
    // shared context (its reference count and session cache are locked internally, openssl-threads(7)).

    /// Which side of the handshake sessions made from this context play.
    public enum Role: Sendable {
        case server
        case client
    }

    /// TLS 1.2 cipher suites: forward secrecy (ECDHE) with AEAD ciphers only, as Mozilla's
    /// "intermediate" profile (SSL_CTX_set_cipher_list(3)). TLS 1.3 suites keep OpenSSL's
    /// defaults, which are all AEAD.
    static let tls12CipherList = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// The only application protocol offered and accepted (RFC 7301 §3.1 wire format).
    static let alpnHTTP11: [UInt8] = Array("http/1.1".utf8)

    /// How a client context checks the server's certificate.
    enum PeerVerification {
        /// Verify the chain (against the system store or a CA file) and the host name.
        case chain(caFile: String?)
        /// Accept exactly the pinned leaf certificate; the pin lives as long as the SSL_CTX
        /// because its verify callback reads it.
        case pinned(TLSCertificatePin)
        /// No check (server contexts, and the explicit insecure client mode).
        case disabled
    }

    /// The side this context serves.
    public let role: Role
    let handle: OpaquePointer
    let peerVerification: PeerVerification

    /// Creates an `SSL_CTX` with the settings both sides share. Throws after full initialization
    /// free the context through `deinit`.
    init(role: Role, peerVerification: PeerVerification) throws(TLSError) {
        let method = role == .server ? TLS_server_method() : TLS_client_method()
        guard let context = SSL_CTX_new(method) else { throw TLSError.fromQueue("SSL_CTX_new") }
        handle = context
        self.role = role
        self.peerVerification = peerVerification

        // SSL_CTX_set_min_proto_version(3): TLS 1.0 and 1.1 are deprecated by RFC 8996.
        guard coffre_ssl_ctx_set_min_proto_version(handle, TLS1_2_VERSION) == 1 else {
            throw TLSError.fromQueue("SSL_CTX_set_min_proto_version")
        }
        guard SSL_CTX_set_cipher_list(handle, Self.tls12CipherList) == 1 else {
            throw TLSError.fromQueue("SSL_CTX_set_cipher_list")
        }
        // SSL_CTX_set_options(3): compression enables CRIME; renegotiation is a DoS and
        // injection vector and is not needed without client certificates. It returns the new
        // option bit mask and cannot fail.
        _ = SSL_CTX_set_options(handle, coffre_ssl_op_no_compression() | coffre_ssl_op_no_renegotiation())
        // SSL_CTX_set_mode(3): partial writes let the event loop send what fits; the write buffer
        // may move between retries because Swift arrays can be reallocated. It returns the new
        // mode bit mask and cannot fail.
        _ = coffre_ssl_ctx_set_mode(
            handle, coffre_ssl_mode_enable_partial_write() | coffre_ssl_mode_accept_moving_write_buffer())
    }

    deinit { SSL_CTX_free(handle) }

    /// A server context presenting the PEM certificate chain (leaf first) and private key read
    /// from these files. Errors say which file is missing or malformed, or that the key does not
    /// belong to the certificate.
    public static func server(certificateChainFile: String, privateKeyFile: String) throws(TLSError) -> TLSContext {
        let context = try TLSContext(role: .server, peerVerification: .disabled)
        try context.loadIdentity(certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile)
        context.installALPNSelection()
        return context
    }

    /// A client context that verifies servers as `trust` says and offers ALPN "http/1.1".
    public static func client(trust: TLSClientTrust) throws(TLSError) -> TLSContext {
        let verification: PeerVerification
        switch trust {
        case .systemTrustStore: verification = .chain(caFile: nil)
        case .certificateAuthorities(let file): verification = .chain(caFile: file)
        case .pinnedCertificate(let sha256): verification = .pinned(try TLSCertificatePin(sha256: sha256))
        case .insecureNoVerification: verification = .disabled
        }
        let context = try TLSContext(role: .client, peerVerification: verification)
        try context.configureVerification()
        try context.offerALPN()
        return context
    }
}
