/// The account's password-hashing parameters on the wire (docs/format.md, "Account keys"):
/// scrypt cost `n`, `r`, `p` and the 16-byte `salt`, all chosen by the client.
///
/// The client checks them against its own minimums before deriving anything (downgrade
/// protection); the server refuses values no client could use (`invalid_kdf_parameters`).
public struct ScryptParameters: Codable, Sendable, Hashable {
    /// Salt length in bytes.
    public static let saltByteCount = 16

    /// CPU/memory cost, a power of two.
    public var n: UInt64
    /// Block size.
    public var r: UInt32
    /// Parallelism.
    public var p: UInt32
    /// 16 random bytes.
    public var salt: Base64Bytes

    /// Parameters as given.
    public init(n: UInt64, r: UInt32, p: UInt32, salt: [UInt8]) {
        self.n = n
        self.r = r
        self.p = p
        self.salt = Base64Bytes(salt)
    }
}
