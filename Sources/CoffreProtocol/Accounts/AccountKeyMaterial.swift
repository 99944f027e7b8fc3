/// The account's public keys and its private keys wrapped under `kek` (docs/format.md,
/// "Wrapped private key"). The server stores them and hands them back at login; it cannot open
/// the wrapped keys.
public struct AccountKeyMaterial: Codable, Sendable, Hashable {
    /// Size of each public key.
    public static let publicKeyByteCount = 32
    /// Largest wrapped private key the server stores (a version-1 wrapping is 61 bytes; later
    /// versions may grow).
    public static let maximumWrappedKeyByteCount = 512

    /// X25519 public key (RFC 7748), for vault-key grants addressed to this user.
    public var x25519PublicKey: Base64Bytes
    /// Ed25519 public key (RFC 8032), which verifies the grants this user signs.
    public var ed25519PublicKey: Base64Bytes
    /// The X25519 private key wrapped under `kek`; opaque to the server.
    public var wrappedX25519PrivateKey: Base64Bytes
    /// The Ed25519 private key (seed) wrapped under `kek`; opaque to the server.
    public var wrappedEd25519PrivateKey: Base64Bytes

    /// Key material as given.
    public init(
        x25519PublicKey: [UInt8], ed25519PublicKey: [UInt8],
        wrappedX25519PrivateKey: [UInt8], wrappedEd25519PrivateKey: [UInt8]
    ) {
        self.x25519PublicKey = Base64Bytes(x25519PublicKey)
        self.ed25519PublicKey = Base64Bytes(ed25519PublicKey)
        self.wrappedX25519PrivateKey = Base64Bytes(wrappedX25519PrivateKey)
        self.wrappedEd25519PrivateKey = Base64Bytes(wrappedEd25519PrivateKey)
    }
}

/// The two private keys re-wrapped under a new `kek`, sent with a password change.
public struct WrappedPrivateKeys: Codable, Sendable, Hashable {
    /// The X25519 private key wrapped under the new `kek`.
    public var x25519: Base64Bytes
    /// The Ed25519 private key wrapped under the new `kek`.
    public var ed25519: Base64Bytes

    /// Wrapped keys as given.
    public init(x25519: [UInt8], ed25519: [UInt8]) {
        self.x25519 = Base64Bytes(x25519)
        self.ed25519 = Base64Bytes(ed25519)
    }
}
