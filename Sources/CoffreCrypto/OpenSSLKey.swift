import COpenSSL

/// Owns one `EVP_PKEY` of a raw-key type (X25519 or Ed25519), built from or exported to the
/// 32-byte encodings of RFC 7748 §5 and RFC 8032 §5.1.5 (EVP_PKEY_new_raw_private_key(3)).
final class OpenSSLKey {
    /// The OpenSSL key type of an algorithm.
    enum Algorithm {
        case x25519, ed25519

        var identifier: Int32 { self == .x25519 ? EVP_PKEY_X25519 : EVP_PKEY_ED25519 }
        var name: String { self == .x25519 ? "X25519" : "Ed25519" }
    }

    static let rawByteCount = 32

    let pointer: OpaquePointer
    let algorithm: Algorithm

    private init(pointer: OpaquePointer, algorithm: Algorithm) {
        self.pointer = pointer
        self.algorithm = algorithm
    }

    deinit { EVP_PKEY_free(pointer) }

    /// A new random key pair (EVP_PKEY_keygen(3)).
    static func generate(_ algorithm: Algorithm) throws(CryptoError) -> OpenSSLKey {
        let context = try KeyContext(algorithm: algorithm)
        return OpenSSLKey(pointer: try context.generate(), algorithm: algorithm)
    }

    /// A key from its 32-byte private encoding (X25519 scalar or Ed25519 seed).
    static func privateKey(_ algorithm: Algorithm, raw: some RandomAccessCollection<UInt8>) throws(CryptoError) -> OpenSSLKey {
        try ByteAccess.with(raw, count: rawByteCount, what: "\(algorithm.name) private key") { (bytes: UnsafeRawBufferPointer) throws(CryptoError) in
            guard let key = EVP_PKEY_new_raw_private_key(algorithm.identifier, nil, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count) else {
                throw CryptoError.fromQueue("EVP_PKEY_new_raw_private_key(\(algorithm.name))")
            }
            return OpenSSLKey(pointer: key, algorithm: algorithm)
        }
    }

    /// A key from its 32-byte public encoding.
    static func publicKey(_ algorithm: Algorithm, raw: some RandomAccessCollection<UInt8>) throws(CryptoError) -> OpenSSLKey {
        try ByteAccess.with(raw, count: rawByteCount, what: "\(algorithm.name) public key") { (bytes: UnsafeRawBufferPointer) throws(CryptoError) in
            guard let key = EVP_PKEY_new_raw_public_key(algorithm.identifier, nil, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count) else {
                throw CryptoError.fromQueue("EVP_PKEY_new_raw_public_key(\(algorithm.name))")
            }
            return OpenSSLKey(pointer: key, algorithm: algorithm)
        }
    }

    /// The 32-byte private encoding, as a secret.
    func rawPrivateKey() throws(CryptoError) -> SecretBytes {
        try SecretBytes(count: Self.rawByteCount) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) -> Void in
            var length = out.count
            guard EVP_PKEY_get_raw_private_key(pointer, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &length) == 1,
                length == Self.rawByteCount
            else { throw CryptoError.fromQueue("EVP_PKEY_get_raw_private_key") }
        }
    }

    /// The 32-byte public encoding.
    func rawPublicKey() throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.rawByteCount)
        var length = out.count
        guard EVP_PKEY_get_raw_public_key(pointer, &out, &length) == 1, length == Self.rawByteCount else {
            throw CryptoError.fromQueue("EVP_PKEY_get_raw_public_key")
        }
        return out
    }
}
