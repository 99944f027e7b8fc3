import COpenSSL

/// HKDF with SHA-256 (RFC 5869), extract then expand, through OpenSSL's `EVP_KDF` "HKDF"
/// (EVP_KDF-HKDF(7)).
public enum HKDF {
    /// Largest output RFC 5869 §2.3 allows for SHA-256: 255 × HashLen.
    public static let maximumOutputByteCount = 255 * 32

    /// Derives `outputByteCount` bytes: `PRK = HMAC(salt, IKM)` (§2.2; an empty salt means
    /// HashLen zero bytes), then `OKM = T(1) ‖ T(2) ‖ …` with `info` (§2.3).
    public static func deriveKey(
        inputKeyMaterial: some RandomAccessCollection<UInt8>,
        salt: some RandomAccessCollection<UInt8> = [UInt8](),
        info: some RandomAccessCollection<UInt8>,
        outputByteCount: Int
    ) throws(CryptoError) -> SecretBytes {
        // RFC 5869 §2.3: L <= 255*HashLen.
        guard outputByteCount > 0, outputByteCount <= maximumOutputByteCount else {
            throw CryptoError.invalidParameter("HKDF output length must be 1...\(maximumOutputByteCount)")
        }
        let parameters = OSSLParameterList()
        parameters.addUTF8(OSSL_KDF_PARAM_DIGEST, "SHA256")
        ByteAccess.with(inputKeyMaterial) { parameters.addOctets(OSSL_KDF_PARAM_KEY, $0) }
        // An absent salt and an empty one are the same in RFC 5869; OpenSSL wants none set then.
        if !salt.isEmpty { ByteAccess.with(salt) { parameters.addOctets(OSSL_KDF_PARAM_SALT, $0) } }
        if !info.isEmpty { ByteAccess.with(info) { parameters.addOctets(OSSL_KDF_PARAM_INFO, $0) } }
        return try KDFContext(algorithm: "HKDF").derive(count: outputByteCount, parameters: parameters)
    }

    /// Convenience for a UTF-8 `info` label such as `"coffre/v1/kek"`.
    public static func deriveKey(
        inputKeyMaterial: some RandomAccessCollection<UInt8>, label: String, outputByteCount: Int = 32
    ) throws(CryptoError) -> SecretBytes {
        try deriveKey(inputKeyMaterial: inputKeyMaterial, salt: [UInt8](), info: Array(label.utf8), outputByteCount: outputByteCount)
    }
}
