import CoffreCrypto

/// The keys derived from an account password (docs/format.md, "Account keys"):
/// `master = scrypt(NFC(password), salt, N, r, p, 32)`, `authKey = HKDF(master, "coffre/v1/auth")`
/// (sent at login; the server stores only a salted hash of it) and
/// `kek = HKDF(master, "coffre/v1/kek")`, which wraps the account's private keys. The master key
/// is dropped (and wiped) as soon as both are derived.
public struct AccountKeys: Sendable {
    /// HKDF info labels.
    static let authLabel = "coffre/v1/auth"
    static let kekLabel = "coffre/v1/kek"

    /// What login sends to prove knowledge of the password.
    public let authKey: SecretBytes
    /// Key-encryption key for the account's X25519 and Ed25519 private keys.
    public let keyEncryptionKey: SecretBytes

    /// Derives the keys after checking `parameters` against `policy`; parameters below the policy
    /// are refused before any work is done (downgrade protection).
    public static func derive(
        password: String, parameters: KDFParameters, policy: KDFPolicy = .standard
    ) throws(CryptoFormatError) -> AccountKeys {
        try policy.check(parameters)
        var passwordBytes = password.nfcUTF8
        defer { SecretBytes.wipe(&passwordBytes) }
        return try CryptoFormatError.wrapping("account keys") { () throws(CryptoError) in
            let master = try Scrypt.deriveKey(
                password: passwordBytes, salt: parameters.salt, parameters: parameters.cost, outputByteCount: 32)
            return AccountKeys(
                authKey: try HKDF.deriveKey(inputKeyMaterial: master, label: authLabel),
                keyEncryptionKey: try HKDF.deriveKey(inputKeyMaterial: master, label: kekLabel))
        }
    }
}
