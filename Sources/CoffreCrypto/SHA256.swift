import COpenSSL

/// Streaming SHA-256 (FIPS 180-4) over OpenSSL's EVP interface.
///
/// Owns one `EVP_MD_CTX`. Not thread-safe: use one instance per stream.
public final class SHA256 {
    /// Digest length in bytes.
    public static let byteCount = 32

    private let context: OpaquePointer

    /// Starts a new digest.
    public init() throws(CryptoError) {
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError.fromQueue("EVP_MD_CTX_new") }
        guard EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(ctx)
            throw CryptoError.fromQueue("EVP_DigestInit_ex")
        }
        context = ctx
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Feeds bytes into the digest, hashing them in place (no copy).
    public func update(_ bytes: UnsafeRawBufferPointer) throws(CryptoError) {
        guard bytes.count > 0 else { return }
        guard EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1 else {
            throw CryptoError.fromQueue("EVP_DigestUpdate")
        }
    }

    /// Feeds the bytes of an array (or any contiguous collection) into the digest.
    public func update(_ bytes: some RandomAccessCollection<UInt8>) throws(CryptoError) {
        try ByteAccess.with(bytes) { (raw: UnsafeRawBufferPointer) throws(CryptoError) in try update(raw) }
    }

    /// Finishes the digest and returns its 32 bytes. The instance must not be used afterwards.
    public func finalize() throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.byteCount)
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &out, &length) == 1, length == 32 else {
            throw CryptoError.fromQueue("EVP_DigestFinal_ex")
        }
        return out
    }

    /// One-shot digest of `bytes`.
    public static func hash(_ bytes: some RandomAccessCollection<UInt8>) throws(CryptoError) -> [UInt8] {
        let hasher = try SHA256()
        try hasher.update(bytes)
        return try hasher.finalize()
    }
}
