import COpenSSL

/// Owns one `EVP_MD_CTX` used for one-shot Ed25519 signing or verification
/// (EVP_DigestSign(3), EVP_DigestVerify(3); Ed25519 takes no digest and no streaming).
final class SigningContext {
    private let context: OpaquePointer

    init() throws(CryptoError) {
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError.fromQueue("EVP_MD_CTX_new") }
        context = ctx
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Signs `message` with `key` and returns the signature.
    func sign(_ message: UnsafeRawBufferPointer, key: OpenSSLKey, signatureByteCount: Int) throws(CryptoError) -> [UInt8] {
        guard EVP_DigestSignInit(context, nil, nil, nil, key.pointer) == 1 else { throw CryptoError.fromQueue("EVP_DigestSignInit") }
        var signature = [UInt8](repeating: 0, count: signatureByteCount)
        var length = signature.count
        var empty: UInt8 = 0
        let ok = withUnsafeMutablePointer(to: &empty) { fallback in
            EVP_DigestSign(context, &signature, &length, message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(fallback), message.count)
        }
        guard ok == 1, length == signatureByteCount else { throw CryptoError.fromQueue("EVP_DigestSign") }
        return signature
    }

    /// True when `signature` is valid for `message` under `key`; false for any invalid signature.
    func verify(_ signature: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer, key: OpenSSLKey) throws(CryptoError) -> Bool {
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key.pointer) == 1 else { throw CryptoError.fromQueue("EVP_DigestVerifyInit") }
        var empty: UInt8 = 0
        let result = withUnsafeMutablePointer(to: &empty) { fallback in
            EVP_DigestVerify(
                context, signature.baseAddress!.assumingMemoryBound(to: UInt8.self), signature.count,
                message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(fallback), message.count)
        }
        // EVP_DigestVerify(3): 1 = valid, 0 = invalid signature, other = error. Any non-1 value on
        // a well-formed key means "not valid"; the queue is cleared so it does not leak into later errors.
        if result != 1 { CryptoError.drainQueue() }
        return result == 1
    }
}
