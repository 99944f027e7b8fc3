import COpenSSL

/// HMAC-SHA256 (RFC 2104) over OpenSSL's `EVP_MAC` interface, streaming or one-shot.
///
/// Owns one `EVP_MAC_CTX`. Not thread-safe: use one instance per message.
public final class HMACSHA256 {
    /// Tag length in bytes.
    public static let byteCount = 32

    private let context: OpaquePointer

    /// Starts a MAC under `key` (any length; RFC 2104 hashes keys longer than the block size).
    public init(key: some RandomAccessCollection<UInt8>) throws(CryptoError) {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { throw CryptoError.fromQueue("EVP_MAC_fetch") }
        defer { EVP_MAC_free(mac) }
        guard let ctx = EVP_MAC_CTX_new(mac) else { throw CryptoError.fromQueue("EVP_MAC_CTX_new") }
        context = ctx
        // The digest name is passed through OSSLParameterList so its C string outlives the call.
        let parameters = OSSLParameterList()
        parameters.addUTF8(OSSL_MAC_PARAM_DIGEST, "SHA256")
        // The key is read in place (no copy of key material). A zero-length key still needs a
        // non-null pointer: EVP_MAC_init(3) treats a NULL key as "keep the previous key".
        var placeholder: UInt8 = 0
        let ok: Int32 = parameters.withParameters { params in
            ByteAccess.with(key) { k in
                withUnsafeMutablePointer(to: &placeholder) { fallback in
                    EVP_MAC_init(ctx, k.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(fallback), k.count, params)
                }
            }
        }
        guard ok == 1 else { throw CryptoError.fromQueue("EVP_MAC_init") }
    }

    deinit { EVP_MAC_CTX_free(context) }

    /// Feeds bytes into the MAC, in place.
    public func update(_ bytes: UnsafeRawBufferPointer) throws(CryptoError) {
        guard bytes.count > 0 else { return }
        guard EVP_MAC_update(context, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count) == 1 else {
            throw CryptoError.fromQueue("EVP_MAC_update")
        }
    }

    /// Feeds the bytes of an array (or any contiguous collection) into the MAC.
    public func update(_ bytes: some RandomAccessCollection<UInt8>) throws(CryptoError) {
        try ByteAccess.with(bytes) { (raw: UnsafeRawBufferPointer) throws(CryptoError) in try update(raw) }
    }

    /// Finishes and returns the 32-byte tag. The instance must not be used afterwards.
    public func finalize() throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.byteCount)
        var length = 0
        guard EVP_MAC_final(context, &out, &length, out.count) == 1, length == Self.byteCount else {
            throw CryptoError.fromQueue("EVP_MAC_final")
        }
        return out
    }

    /// One-shot HMAC-SHA256 of `message` under `key`.
    public static func authenticationCode(
        for message: some RandomAccessCollection<UInt8>, key: some RandomAccessCollection<UInt8>
    ) throws(CryptoError) -> [UInt8] {
        let mac = try HMACSHA256(key: key)
        try mac.update(message)
        return try mac.finalize()
    }
}
