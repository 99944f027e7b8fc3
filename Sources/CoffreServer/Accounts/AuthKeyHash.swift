import CoffreCrypto

/// How the server stores an authKey: `HMAC-SHA256(key: salt, message: authKey)` with a random
/// 16-byte salt per user (and per password change).
///
/// A fast hash is enough here, unlike for passwords: the authKey is already the output of
/// scrypt (N = 2^17) and HKDF, 256 bits that an attacker holding the database can only find by
/// running scrypt for each password guess; a second slow function would add nothing but let
/// anyone make the server burn CPU on logins. The salt keeps equal authKeys from giving equal
/// stored values and rules out precomputed tables. Comparison is constant-time.
enum AuthKeyHash {
    /// Salt and hash for a new authKey.
    static func make(authKey: [UInt8]) throws(CryptoError) -> (salt: [UInt8], hash: [UInt8]) {
        let salt = try SecureRandom.bytes(count: AccountRules.authSaltByteCount)
        return (salt, try HMACSHA256.authenticationCode(for: authKey, key: salt))
    }

    /// True when `authKey` matches the stored salt and hash. With nil (no such account, or not
    /// registered) it does the same work against a fixed dummy and returns false, so the time
    /// taken does not tell whether the account exists.
    static func verify(authKey: [UInt8], stored: (salt: [UInt8], hash: [UInt8])?) throws(CryptoError) -> Bool {
        let salt = stored?.salt ?? dummySalt
        let expected = stored?.hash ?? dummyHash
        let actual = try HMACSHA256.authenticationCode(for: authKey, key: salt)
        return ConstantTime.equals(actual, expected) && stored != nil
    }

    private static let dummySalt = [UInt8](repeating: 0x5A, count: AccountRules.authSaltByteCount)
    private static let dummyHash = [UInt8](repeating: 0xA5, count: 32)
}
