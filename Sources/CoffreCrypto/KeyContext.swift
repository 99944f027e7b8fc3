import COpenSSL

/// Owns one `EVP_PKEY_CTX` (EVP_PKEY_CTX_new(3)), for key generation or key agreement.
final class KeyContext {
    private let context: OpaquePointer

    /// A context for generating keys of `algorithm`.
    init(algorithm: OpenSSLKey.Algorithm) throws(CryptoError) {
        guard let ctx = EVP_PKEY_CTX_new_id(algorithm.identifier, nil) else {
            throw CryptoError.fromQueue("EVP_PKEY_CTX_new_id(\(algorithm.name))")
        }
        context = ctx
    }

    /// A context for operations with `key` (derivation).
    init(key: OpenSSLKey) throws(CryptoError) {
        guard let ctx = EVP_PKEY_CTX_new(key.pointer, nil) else { throw CryptoError.fromQueue("EVP_PKEY_CTX_new") }
        context = ctx
    }

    deinit { EVP_PKEY_CTX_free(context) }

    /// Generates a key pair (EVP_PKEY_keygen(3)); the caller owns the returned `EVP_PKEY`.
    func generate() throws(CryptoError) -> OpaquePointer {
        guard EVP_PKEY_keygen_init(context) == 1 else { throw CryptoError.fromQueue("EVP_PKEY_keygen_init") }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen(context, &key) == 1, let key else { throw CryptoError.fromQueue("EVP_PKEY_keygen") }
        return key
    }

    /// Key agreement with `peer` (EVP_PKEY_derive(3)). OpenSSL's X25519 fails the derivation when
    /// the result is all zero (RFC 7748 §6.1); that failure, and an all-zero result should a
    /// provider not check, become `CryptoError.lowOrderPoint`.
    func derive(peer: OpenSSLKey, count: Int) throws(CryptoError) -> SecretBytes {
        guard EVP_PKEY_derive_init(context) == 1 else { throw CryptoError.fromQueue("EVP_PKEY_derive_init") }
        guard EVP_PKEY_derive_set_peer(context, peer.pointer) == 1 else { throw CryptoError.fromQueue("EVP_PKEY_derive_set_peer") }
        let secret = try SecretBytes(count: count) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) -> Void in
            var length = out.count
            guard EVP_PKEY_derive(context, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &length) == 1 else {
                let reason = ERR_GET_REASON(ERR_peek_last_error())
                if reason == PROV_R_FAILED_DURING_DERIVATION {
                    CryptoError.drainQueue()
                    throw CryptoError.lowOrderPoint
                }
                throw CryptoError.fromQueue("EVP_PKEY_derive")
            }
            guard length == count else { throw CryptoError.invalidLength(what: "derived secret", expected: count, actual: length) }
        }
        // RFC 7748 §6.1: "check whether the result is all zero and abort if so".
        let zeros = [UInt8](repeating: 0, count: count)
        guard !ConstantTime.equals(secret, zeros) else { throw CryptoError.lowOrderPoint }
        return secret
    }
}
