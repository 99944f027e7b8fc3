import COpenSSL

/// A pinned SHA-256 certificate fingerprint and the OpenSSL callback that enforces it.
///
/// A client context with a pin replaces OpenSSL's chain verification with this check
/// (SSL_CTX_set_cert_verify_callback(3)): self-hosted servers often have self-signed
/// certificates, and `coffre` pins the fingerprint on first use.
final class TLSCertificatePin: Sendable {
    /// The expected fingerprint (32 bytes).
    let sha256: [UInt8]

    /// Throws `.invalidArgument` unless `sha256` is 32 bytes.
    init(sha256: [UInt8]) throws(TLSError) {
        guard sha256.count == TLSCertificate.fingerprintByteCount else {
            throw .invalidArgument(
                "a certificate pin must be \(TLSCertificate.fingerprintByteCount) bytes, got \(sha256.count)")
        }
        self.sha256 = sha256
    }

    /// True when `fingerprint` equals the pin, compared in constant time (CRYPTO_memcmp(3)).
    func matches(_ fingerprint: [UInt8]) -> Bool {
        guard fingerprint.count == sha256.count else { return false }
        return fingerprint.withUnsafeBytes { given in
            sha256.withUnsafeBytes { expected in
                CRYPTO_memcmp(given.baseAddress, expected.baseAddress, expected.count) == 0
            }
        }
    }

    /// Installs the pin check on a client `SSL_CTX`. The pin must outlive the context: the
    /// owning `TLSContext` holds it.
    func install(on context: OpaquePointer) {
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        SSL_CTX_set_cert_verify_callback(context, Self.verify, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Called by OpenSSL in place of X509_verify_cert(3) with the peer's chain; returns 1 to
    /// accept. On a mismatch it records X509_V_ERR_CERT_REJECTED so the handshake fails with
    /// "certificate rejected".
    private static let verify: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32 = {
        storeContext, argument in
        guard let storeContext, let argument else { return 0 }
        let pin = Unmanaged<TLSCertificatePin>.fromOpaque(argument).takeUnretainedValue()
        guard let leaf = X509_STORE_CTX_get0_cert(storeContext),
            let fingerprint = TLSCertificate.fingerprintSHA256(of: leaf),
            pin.matches(fingerprint)
        else {
            X509_STORE_CTX_set_error(storeContext, X509_V_ERR_CERT_REJECTED)
            return 0
        }
        X509_STORE_CTX_set_error(storeContext, X509_V_OK)
        return 1
    }
}
