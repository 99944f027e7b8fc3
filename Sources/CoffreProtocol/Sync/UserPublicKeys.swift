/// A user's public keys, which another user needs to share a vault with them: the client wraps
/// the vault key to `x25519PublicKey` and verifies grants against `ed25519PublicKey` (pinned on
/// first use, docs/format.md, "Vault key grants").
public struct UserPublicKeys: Sendable, Codable, Equatable {
    /// The user's id, as vault member lists name them.
    public var userId: Int64
    /// The user's name.
    public var userName: String
    /// X25519 public key (RFC 7748), 32 bytes.
    public var x25519PublicKey: Base64Bytes
    /// Ed25519 public key (RFC 8032), 32 bytes.
    public var ed25519PublicKey: Base64Bytes

    /// Public keys as given.
    public init(userId: Int64, userName: String, x25519PublicKey: Base64Bytes, ed25519PublicKey: Base64Bytes) {
        self.userId = userId
        self.userName = userName
        self.x25519PublicKey = x25519PublicKey
        self.ed25519PublicKey = ed25519PublicKey
    }
}
