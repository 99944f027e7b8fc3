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
        // A zero-length key still needs a non-null pointer: keep one byte of storage, pass count 0.
        let keyBytes = Array(key)
        let storage = keyBytes.isEmpty ? [UInt8(0)] : keyBytes
        let ok: Int32 = "SHA256".withCString { digest in
            var params = [
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, UnsafeMutablePointer(mutating: digest), 0),
                OSSL_PARAM_construct_end(),
            ]
            return storage.withUnsafeBufferPointer { k in
                EVP_MAC_init(ctx, k.baseAddress, keyBytes.count, &params)
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
        var failure: CryptoError?
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            do throws(CryptoError) { try self.update(UnsafeRawBufferPointer(buffer)) } catch { failure = error }
        }
        if done == nil {
            Array(bytes).withUnsafeBytes { raw in
                do throws(CryptoError) { try self.update(raw) } catch { failure = error }
            }
        }
        if let failure { throw failure }
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
