/// X25519 Diffie–Hellman (RFC 7748 §5, §6.1) with 32-byte keys.
public enum X25519 {
    /// Length of private keys, public keys and shared secrets.
    public static let byteCount = 32

    /// A public key: the 32-byte little-endian u-coordinate (RFC 7748 §5).
    public struct PublicKey: Sendable, Hashable {
        /// The 32-byte encoding.
        public let rawRepresentation: [UInt8]

        /// Wraps a 32-byte encoding; any other length is rejected.
        public init(rawRepresentation: some RandomAccessCollection<UInt8>) throws(CryptoError) {
            guard rawRepresentation.count == X25519.byteCount else {
                throw CryptoError.invalidLength(what: "X25519 public key", expected: X25519.byteCount, actual: rawRepresentation.count)
            }
            self.rawRepresentation = Array(rawRepresentation)
        }
    }

    /// A private key (the 32-byte scalar, clamped by OpenSSL on use) and its public key.
    public struct PrivateKey: Sendable {
        /// The 32-byte scalar, wiped when the last copy is released.
        public let rawRepresentation: SecretBytes
        /// The matching public key.
        public let publicKey: PublicKey

        /// A new random key pair.
        public init() throws(CryptoError) {
            let key = try OpenSSLKey.generate(.x25519)
            rawRepresentation = try key.rawPrivateKey()
            publicKey = try PublicKey(rawRepresentation: key.rawPublicKey())
        }

        /// The key pair for a given 32-byte scalar (RFC 7748 §5: X25519(k, 9) is the public key).
        public init(rawRepresentation: some RandomAccessCollection<UInt8>) throws(CryptoError) {
            let key = try OpenSSLKey.privateKey(.x25519, raw: rawRepresentation)
            self.rawRepresentation = try key.rawPrivateKey()
            publicKey = try PublicKey(rawRepresentation: key.rawPublicKey())
        }

        /// The 32-byte shared secret X25519(self, peer). Throws `CryptoError.lowOrderPoint` when it
        /// is all zero (RFC 7748 §6.1), which a low-order or crafted peer key produces.
        public func sharedSecret(with peer: PublicKey) throws(CryptoError) -> SecretBytes {
            let own = try OpenSSLKey.privateKey(.x25519, raw: rawRepresentation)
            let other = try OpenSSLKey.publicKey(.x25519, raw: peer.rawRepresentation)
            return try KeyContext(key: own).derive(peer: other, count: X25519.byteCount)
        }
    }
}
