import COpenSSL

/// Owns one OpenSSL `X509` certificate, freed exactly once in `deinit`.
final class TLSCertificate {
    /// Length of a SHA-256 fingerprint in bytes.
    static let fingerprintByteCount = 32

    let handle: OpaquePointer

    init(adopting handle: OpaquePointer) {
        self.handle = handle
    }

    deinit { X509_free(handle) }

    /// An empty certificate to fill in (X509_new(3)).
    static func empty() throws(TLSError) -> TLSCertificate {
        guard let x509 = X509_new() else { throw TLSError.fromQueue("X509_new") }
        return TLSCertificate(adopting: x509)
    }

    /// Parses the first certificate of PEM text (PEM_read_bio_X509(3)).
    static func parse(pem: String) throws(TLSError) -> TLSCertificate {
        let bio = try TLSBIO.memory(holding: pem)
        // No passphrase callback prompt (pem_password_cb(3)): certificates are never encrypted.
        guard let x509 = PEM_read_bio_X509(bio.handle, nil, { _, _, _, _ in 0 }, nil) else {
            throw .invalidCertificate(path: nil, detail: TLSError.drainErrorQueue())
        }
        return TLSCertificate(adopting: x509)
    }

    /// SHA-256 over the certificate's DER encoding, the fingerprint `openssl x509 -fingerprint
    /// -sha256` shows (X509_digest(3)).
    func fingerprintSHA256() throws(TLSError) -> [UInt8] {
        guard let digest = Self.fingerprintSHA256(of: handle) else { throw TLSError.fromQueue("X509_digest") }
        return digest
    }

    /// The SHA-256 fingerprint of a certificate this class does not own (a peer's, or one in a
    /// verification callback); nil if OpenSSL fails.
    static func fingerprintSHA256(of x509: OpaquePointer) -> [UInt8]? {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(x509, EVP_sha256(), &digest, &length) == 1, length == fingerprintByteCount else {
            return nil
        }
        return Array(digest.prefix(fingerprintByteCount))
    }

    /// The certificate as PEM ("-----BEGIN CERTIFICATE-----").
    func pem() throws(TLSError) -> String {
        let bio = try TLSBIO.memory()
        guard PEM_write_bio_X509(bio.handle, handle) == 1 else { throw TLSError.fromQueue("PEM_write_bio_X509") }
        return try bio.readAll()
    }
}
