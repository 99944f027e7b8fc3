import COpenSSL

/// HMAC-SHA256 (RFC 2104) over OpenSSL's `EVP_MAC` interface, streaming or one-shot.
///
/// Owns one `EVP_MAC_CTX`. Not thread-safe: use one instance per message, or one per key and
/// thread with `restart()` between messages (the key schedule is then computed once).
public final class HMACSHA256 {
    /// Tag length in bytes.
    public static let byteCount = 32

    private let context: OpaquePointer

    /// Starts a MAC under `key` (any length; RFC 2104 hashes keys longer than the block size).
    public init(key: some RandomAccessCollection<UInt8>) throws(CryptoError) {
        let mac = try FetchedAlgorithms.require(FetchedAlgorithms.shared.hmac, "HMAC")
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

    /// Starts a new message under the same key in the same context, whatever state the last
    /// message was left in.
    public func restart() throws(CryptoError) {
        // EVP_MAC_init(3): a NULL key keeps the key already set; HMAC then restarts from its
        // saved inner and outer pads (no key schedule, no digest fetch).
        guard EVP_MAC_init(context, nil, 0, nil) == 1 else { throw CryptoError.fromQueue("EVP_MAC_init(restart)") }
    }

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

    /// Finishes and returns the 32-byte tag. Only `restart()` may follow.
    public func finalize() throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.byteCount)
        try ByteAccess.withMutable(&out) { (raw: UnsafeMutableRawBufferPointer) throws(CryptoError) in try finalize(into: raw) }
        return out
    }

    /// Finishes into `output` (exactly 32 bytes). Only `restart()` may follow.
    public func finalize(into output: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        guard output.count == Self.byteCount else {
            throw CryptoError.invalidLength(what: "HMAC-SHA256 output", expected: Self.byteCount, actual: output.count)
        }
        var length = 0
        guard EVP_MAC_final(context, output.baseAddress!.assumingMemoryBound(to: UInt8.self), &length, output.count) == 1,
            length == Self.byteCount
        else {
            throw CryptoError.fromQueue("EVP_MAC_final")
        }
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
