import COpenSSL

/// Streaming SHA-256 (FIPS 180-4) over OpenSSL's EVP interface.
///
/// Owns one `EVP_MD_CTX`. Not thread-safe: use one instance per stream, or one per thread with
/// `restart()` between messages.
public final class SHA256 {
    /// Digest length in bytes.
    public static let byteCount = 32

    private let context: OpaquePointer

    /// Starts a new digest.
    public init() throws(CryptoError) {
        let digest = try FetchedAlgorithms.require(FetchedAlgorithms.shared.sha256, "SHA256")
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError.fromQueue("EVP_MD_CTX_new") }
        guard EVP_DigestInit_ex2(ctx, digest, nil) == 1 else {
            EVP_MD_CTX_free(ctx)
            throw CryptoError.fromQueue("EVP_DigestInit_ex2")
        }
        context = ctx
    }

    /// Starts a new digest in the same context, whatever state the last one was left in.
    public func restart() throws(CryptoError) {
        // EVP_DigestInit_ex2(3): a NULL type reuses the context's digest; allowed after Final.
        guard EVP_DigestInit_ex2(context, nil, nil) == 1 else { throw CryptoError.fromQueue("EVP_DigestInit_ex2") }
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

    /// Finishes the digest and returns its 32 bytes. Only `restart()` may follow.
    public func finalize() throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.byteCount)
        try ByteAccess.withMutable(&out) { (raw: UnsafeMutableRawBufferPointer) throws(CryptoError) in try finalize(into: raw) }
        return out
    }

    /// Finishes the digest into `output` (exactly 32 bytes). Only `restart()` may follow.
    public func finalize(into output: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        guard output.count == Self.byteCount else {
            throw CryptoError.invalidLength(what: "SHA-256 output", expected: Self.byteCount, actual: output.count)
        }
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, output.baseAddress!.assumingMemoryBound(to: UInt8.self), &length) == 1,
            length == UInt32(Self.byteCount)
        else {
            throw CryptoError.fromQueue("EVP_DigestFinal_ex")
        }
    }

    /// One-shot digest of `bytes`.
    public static func hash(_ bytes: some RandomAccessCollection<UInt8>) throws(CryptoError) -> [UInt8] {
        let hasher = try SHA256()
        try hasher.update(bytes)
        return try hasher.finalize()
    }
}
