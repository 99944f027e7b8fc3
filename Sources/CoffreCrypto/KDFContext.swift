import COpenSSL

/// Owns one `EVP_KDF_CTX` (EVP_KDF(3)) for a KDF fetched by name ("HKDF", "SCRYPT").
final class KDFContext {
    private let context: OpaquePointer

    init(algorithm: String) throws(CryptoError) {
        guard let kdf = EVP_KDF_fetch(nil, algorithm, nil) else { throw CryptoError.fromQueue("EVP_KDF_fetch(\(algorithm))") }
        // EVP_KDF_CTX_new takes its own reference to the KDF.
        defer { EVP_KDF_free(kdf) }
        guard let ctx = EVP_KDF_CTX_new(kdf) else { throw CryptoError.fromQueue("EVP_KDF_CTX_new") }
        context = ctx
    }

    deinit { EVP_KDF_CTX_free(context) }

    /// Derives `count` bytes into a new secret with the given parameters (EVP_KDF_derive(3)).
    func derive(count: Int, parameters: OSSLParameterList) throws(CryptoError) -> SecretBytes {
        try SecretBytes(count: count) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) -> Void in
            let ok = parameters.withParameters { params in
                EVP_KDF_derive(context, out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count, params)
            }
            guard ok == 1 else { throw CryptoError.fromQueue("EVP_KDF_derive") }
        }
    }
}
