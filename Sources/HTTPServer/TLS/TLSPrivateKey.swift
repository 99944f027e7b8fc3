import COpenSSL

/// Owns one OpenSSL `EVP_PKEY` (a private key), freed exactly once in `deinit`.
final class TLSPrivateKey {
    let handle: OpaquePointer

    private init(adopting handle: OpaquePointer) {
        self.handle = handle
    }

    deinit { EVP_PKEY_free(handle) }

    /// Generates a fresh EC key on P-256 (EVP_PKEY_CTX_new_from_name(3), EVP_PKEY_CTX_set_group_name(3)).
    static func generateP256() throws(TLSError) -> TLSPrivateKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else {
            throw TLSError.fromQueue("EVP_PKEY_CTX_new_from_name")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { throw TLSError.fromQueue("EVP_PKEY_keygen_init") }
        guard EVP_PKEY_CTX_set_group_name(context, "P-256") == 1 else {
            throw TLSError.fromQueue("EVP_PKEY_CTX_set_group_name")
        }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(context, &key) == 1, let key else { throw TLSError.fromQueue("EVP_PKEY_generate") }
        return TLSPrivateKey(adopting: key)
    }

    /// Reads the first private key of a PEM file (any PEM key format OpenSSL knows). Encrypted
    /// keys are refused rather than prompting for a passphrase (PEM_read_bio_PrivateKey(3)).
    static func load(file path: String) throws(TLSError) -> TLSPrivateKey {
        try TLSPEMFile.checkReadable(path)
        let bio = try TLSBIO.reading(file: path)
        // The passphrase callback supplies none (returns 0): an encrypted key fails to load
        // instead of OpenSSL prompting on the terminal, which would hang a daemon (pem_password_cb(3)).
        guard let key = PEM_read_bio_PrivateKey(bio.handle, nil, { _, _, _, _ in 0 }, nil) else {
            throw .invalidPrivateKey(path: path, detail: TLSError.drainErrorQueue())
        }
        return TLSPrivateKey(adopting: key)
    }

    /// The key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), for a file of mode 0600.
    func pem() throws(TLSError) -> String {
        let bio = try TLSBIO.memory()
        guard PEM_write_bio_PrivateKey(bio.handle, handle, nil, nil, 0, nil, nil) == 1 else {
            throw TLSError.fromQueue("PEM_write_bio_PrivateKey")
        }
        return try bio.readAll()
    }
}
