/// Ed25519 signatures (RFC 8032 §5.1), pure (no pre-hash, no context).
public enum Ed25519 {
    /// Length of private keys (seeds) and public keys.
    public static let keyByteCount = 32
    /// Length of a signature.
    public static let signatureByteCount = 64

    /// A public key: the 32-byte encoding of RFC 8032 §5.1.2.
    public struct PublicKey: Sendable, Hashable {
        /// The 32-byte encoding.
        public let rawRepresentation: [UInt8]

        /// Wraps a 32-byte encoding; any other length is rejected. Whether it is a valid point is
        /// checked when a signature is verified (RFC 8032 §5.1.7 step 1).
        public init(rawRepresentation: some RandomAccessCollection<UInt8>) throws(CryptoError) {
            guard rawRepresentation.count == Ed25519.keyByteCount else {
                throw CryptoError.invalidLength(what: "Ed25519 public key", expected: Ed25519.keyByteCount, actual: rawRepresentation.count)
            }
            self.rawRepresentation = Array(rawRepresentation)
        }

        /// True when `signature` is a valid signature of `message` under this key. Any malformed
        /// signature (wrong length, bad encoding) is simply not valid.
        public func isValidSignature(
            _ signature: some RandomAccessCollection<UInt8>, for message: some RandomAccessCollection<UInt8>
        ) throws(CryptoError) -> Bool {
            guard signature.count == Ed25519.signatureByteCount else { return false }
            let key = try OpenSSLKey.publicKey(.ed25519, raw: rawRepresentation)
            let context = try SigningContext()
            return try ByteAccess.with(signature) { (s: UnsafeRawBufferPointer) throws(CryptoError) in
                try ByteAccess.with(message) { (m: UnsafeRawBufferPointer) throws(CryptoError) in
                    try context.verify(s, message: m, key: key)
                }
            }
        }
    }

    /// A private key (the 32-byte seed of RFC 8032 §5.1.5) and its public key.
    public struct PrivateKey: Sendable {
        /// The 32-byte seed, wiped when the last copy is released.
        public let rawRepresentation: SecretBytes
        /// The matching public key.
        public let publicKey: PublicKey

        /// A new random key pair.
        public init() throws(CryptoError) {
            let key = try OpenSSLKey.generate(.ed25519)
            rawRepresentation = try key.rawPrivateKey()
            publicKey = try PublicKey(rawRepresentation: key.rawPublicKey())
        }

        /// The key pair for a given 32-byte seed.
        public init(rawRepresentation: some RandomAccessCollection<UInt8>) throws(CryptoError) {
            let key = try OpenSSLKey.privateKey(.ed25519, raw: rawRepresentation)
            self.rawRepresentation = try key.rawPrivateKey()
            publicKey = try PublicKey(rawRepresentation: key.rawPublicKey())
        }

        /// The 64-byte signature of `message` (RFC 8032 §5.1.6; deterministic).
        public func signature(for message: some RandomAccessCollection<UInt8>) throws(CryptoError) -> [UInt8] {
            let key = try OpenSSLKey.privateKey(.ed25519, raw: rawRepresentation)
            let context = try SigningContext()
            return try ByteAccess.with(message) { (m: UnsafeRawBufferPointer) throws(CryptoError) in
                try context.sign(m, key: key, signatureByteCount: Ed25519.signatureByteCount)
            }
        }
    }
}
