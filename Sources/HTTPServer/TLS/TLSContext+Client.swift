import COpenSSL

extension TLSContext {
    /// Sets up how the server's certificate is checked. The host name check itself is per
    /// connection (`TLSTransport`, SSL_set1_host(3)).
    func configureVerification() throws(TLSError) {
        switch peerVerification {
        case .chain(caFile: nil):
            // SSL_CTX_set_default_verify_paths(3): OpenSSL's default CA file and directory.
            guard SSL_CTX_set_default_verify_paths(handle) == 1 else {
                throw TLSError.fromQueue("SSL_CTX_set_default_verify_paths")
            }
            SSL_CTX_set_verify(handle, SSL_VERIFY_PEER, nil)
        case .chain(caFile: let file?):
            try TLSPEMFile.checkReadable(file)
            // SSL_CTX_load_verify_locations(3): only these CAs are trusted.
            guard SSL_CTX_load_verify_locations(handle, file, nil) == 1 else {
                throw .invalidCertificate(path: file, detail: TLSError.drainErrorQueue())
            }
            SSL_CTX_set_verify(handle, SSL_VERIFY_PEER, nil)
        case .pinned(let pin):
            pin.install(on: handle)
        case .disabled:
            SSL_CTX_set_verify(handle, SSL_VERIFY_NONE, nil)
        }
    }

    /// Offers "http/1.1" as the only application protocol (SSL_CTX_set_alpn_protos(3), which
    /// returns 0 on success).
    func offerALPN() throws(TLSError) {
        let wire = [UInt8(Self.alpnHTTP11.count)] + Self.alpnHTTP11
        guard SSL_CTX_set_alpn_protos(handle, wire, UInt32(wire.count)) == 0 else {
            throw TLSError.fromQueue("SSL_CTX_set_alpn_protos")
        }
    }

    /// True when sessions must check the server's name against its certificate: whenever the
    /// chain is verified. A pin identifies the server by itself.
    var verifiesHostName: Bool {
        if case .chain = peerVerification { return true }
        return false
    }
}
