import CoffreCrypto

/// One key generation of a vault: a random 256-bit root key (docs/format.md, "Vault keys").
/// A new generation is made when a member is removed; its keys then encrypt new content.
public struct VaultKey: Sendable {
    /// The vault this key belongs to.
    public let vaultID: OpaqueID
    /// Key generation, from 1, increasing.
    public let generation: UInt32
    /// The 32-byte root key.
    public let rootKey: SecretBytes

    /// Wraps an existing root key (32 bytes).
    public init(vaultID: OpaqueID, generation: UInt32, rootKey: SecretBytes) throws(CryptoFormatError) {
        guard rootKey.count == 32 else { throw .malformed(structure: "vault root key", reason: "must be 32 bytes") }
        self.vaultID = vaultID
        self.generation = generation
        self.rootKey = rootKey
    }

    /// A fresh random root key for `generation` of `vaultID`.
    public static func generate(vaultID: OpaqueID, generation: UInt32) throws(CryptoFormatError) -> VaultKey {
        let key = try CryptoFormatError.wrapping("vault root key") { () throws(CryptoError) in try SecretBytes(randomCount: 32) }
        return try VaultKey(vaultID: vaultID, generation: generation, rootKey: key)
    }

    /// The four purpose keys, each `HKDF(rootKey, info = "coffre/v1/vault/<purpose>")`.
    public func subkeys() throws(CryptoFormatError) -> VaultSubkeys {
        try CryptoFormatError.wrapping("vault subkeys") { () throws(CryptoError) in
            func derive(_ purpose: String) throws(CryptoError) -> SecretBytes {
                try HKDF.deriveKey(inputKeyMaterial: rootKey, label: "coffre/v1/vault/" + purpose)
            }
            return VaultSubkeys(
                chunker: try derive("chunker"), convergence: try derive("convergence"),
                meta: try derive("meta"), nametag: try derive("nametag"))
        }
    }
}

/// The purpose keys of one vault key generation. Each is used for exactly one thing, so no
/// ciphertext of one kind can be passed off as another.
public struct VaultSubkeys: Sendable {
    /// Keys the FastCDC gear table (cut points are secret).
    public let chunker: SecretBytes
    /// `chunkKey = HMAC(convergence, plaintext)`.
    public let convergence: SecretBytes
    /// Encrypts entry records.
    public let meta: SecretBytes
    /// `nameTag = HMAC(nametag, parentId ‖ NFC(name))`.
    public let nametag: SecretBytes
}
