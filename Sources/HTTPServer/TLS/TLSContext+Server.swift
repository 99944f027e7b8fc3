import COpenSSL

extension TLSContext {
    /// Loads the certificate chain and the private key and checks that they belong together.
    func loadIdentity(certificateChainFile: String, privateKeyFile: String) throws(TLSError) {
        try TLSPEMFile.checkReadable(certificateChainFile)
        // SSL_CTX_use_certificate_chain_file(3): the leaf first, then intermediates.
        guard SSL_CTX_use_certificate_chain_file(handle, certificateChainFile) == 1,
            let leaf = SSL_CTX_get0_certificate(handle)
        else {
            throw .invalidCertificate(path: certificateChainFile, detail: TLSError.drainErrorQueue())
        }
        let key = try TLSPrivateKey.load(file: privateKeyFile)
        // X509_check_private_key(3) first, so a mismatch reads as such rather than as a
        // "key values mismatch" from inside SSL_CTX_use_PrivateKey.
        guard X509_check_private_key(leaf, key.handle) == 1 else {
            ERR_clear_error()
            throw .keyDoesNotMatchCertificate(
                certificatePath: certificateChainFile, privateKeyPath: privateKeyFile)
        }
        guard SSL_CTX_use_PrivateKey(handle, key.handle) == 1 else {
            throw .invalidPrivateKey(path: privateKeyFile, detail: TLSError.drainErrorQueue())
        }
        guard SSL_CTX_check_private_key(handle) == 1 else {
            throw .keyDoesNotMatchCertificate(
                certificatePath: certificateChainFile, privateKeyPath: privateKeyFile)
        }
    }

    /// Selects "http/1.1" when the client offers it (SSL_CTX_set_alpn_select_cb(3)).
    func installALPNSelection() {
        SSL_CTX_set_alpn_select_cb(handle, Self.selectALPN, nil)
    }

    /// The ALPN callback. RFC 7301 §3.2: a server that supports none of the client's protocols
    /// answers with a fatal "no_application_protocol" alert. A client that sends no ALPN
    /// extension never reaches this and gets HTTP/1.1 without ALPN.
    private static let selectALPN:
        @convention(c) (
            OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?,
            UnsafePointer<UInt8>?, UInt32, UnsafeMutableRawPointer?
        ) -> Int32 = { _, selected, selectedLength, offered, offeredLength, _ in
            guard let selected, let selectedLength, let offered else { return SSL_TLSEXT_ERR_ALERT_FATAL }
            let list = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
            guard let range = TLSContext.rangeOfHTTP11(inALPNList: list) else { return SSL_TLSEXT_ERR_ALERT_FATAL }
            // OpenSSL copies the selection before `offered` goes away.
            selected.pointee = offered + range.lowerBound
            selectedLength.pointee = UInt8(range.count)
            return SSL_TLSEXT_ERR_OK
        }

    /// Where "http/1.1" sits in a client's ALPN list: a sequence of length-prefixed, non-empty
    /// protocol names (RFC 7301 §3.1). Bounds-checked; nil if absent or if the list is malformed.
    static func rangeOfHTTP11(inALPNList list: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var index = 0
        while index < list.count {
            let length = Int(list[index])
            let start = index + 1
            guard length > 0, start + length <= list.count else { return nil }
            if length == alpnHTTP11.count, list[start..<start + length].elementsEqual(alpnHTTP11) {
                return start..<start + length
            }
            index = start + length
        }
        return nil
    }
}
