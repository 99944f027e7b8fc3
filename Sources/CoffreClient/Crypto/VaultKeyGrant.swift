import CoffreCrypto

/// A vault root key wrapped to one member's X25519 public key and signed by the member who
/// granted it (docs/format.md, "Vault key grants"). The server stores and relays grants; it
/// cannot read them, and cannot forge one for a key it knows without the granter's signing key.
public struct VaultKeyGrant: Sendable, Equatable {
    static let version: UInt8 = 1
    static let wrapLabel = "coffre/v1/vault-key-wrap"
    static let aadLabel = "coffre/v1/vault-key"
    static let signatureLabel = "coffre/v1/grant"
    /// Bytes of an encoded grant.
    public static let encodedByteCount = 1 + 16 + 4 + 32 + 32 + 32 + 48 + 64

    /// The vault the key belongs to.
    public let vaultID: OpaqueID
    /// The key generation.
    public let generation: UInt32
    /// The member the key is wrapped to.
    public let recipient: X25519.PublicKey
    /// The member who signed the grant.
    public let granter: Ed25519.PublicKey
    /// The sender's one-time X25519 public key.
    public let ephemeralPublicKey: X25519.PublicKey
    /// AES-256-GCM of the root key: 32 bytes of ciphertext then the 16-byte tag.
    public let sealedKey: [UInt8]
    /// Ed25519 signature over `lp("coffre/v1/grant") ‖` the encoding without the signature.
    public let signature: [UInt8]

    /// Wraps `key` to `recipient` with a fresh ephemeral key and signs it with `granter`.
    public static func issue(
        _ key: VaultKey, to recipient: X25519.PublicKey, signedBy granter: Ed25519.PrivateKey
    ) throws(CryptoFormatError) -> VaultKeyGrant {
        let ephemeral = try CryptoFormatError.wrapping("grant") { () throws(CryptoError) in try X25519.PrivateKey() }
        return try issue(key, to: recipient, signedBy: granter, ephemeral: ephemeral)
    }

    /// `issue` with a given ephemeral key (test vectors fix it; never reuse one otherwise).
    static func issue(
        _ key: VaultKey, to recipient: X25519.PublicKey, signedBy granter: Ed25519.PrivateKey, ephemeral: X25519.PrivateKey
    ) throws(CryptoFormatError) -> VaultKeyGrant {
        let sealed = try CryptoFormatError.wrapping("grant") { () throws(CryptoError) in
            let wrapKey = try wrappingKey(
                shared: ephemeral.sharedSecret(with: recipient), ephemeral: ephemeral.publicKey, recipient: recipient)
            return try AES256GCM.seal(
                key.rootKey, key: wrapKey, nonce: [UInt8](repeating: 0, count: 12),
                aad: associatedData(vaultID: key.vaultID, generation: key.generation))
        }
        let unsigned = VaultKeyGrant(
            vaultID: key.vaultID, generation: key.generation, recipient: recipient, granter: granter.publicKey,
            ephemeralPublicKey: ephemeral.publicKey, sealedKey: sealed, signature: [])
        let signature = try CryptoFormatError.wrapping("grant") { () throws(CryptoError) in
            try granter.signature(for: unsigned.signedMessage)
        }
        return VaultKeyGrant(
            vaultID: key.vaultID, generation: key.generation, recipient: recipient, granter: granter.publicKey,
            ephemeralPublicKey: ephemeral.publicKey, sealedKey: sealed, signature: signature)
    }

    /// Checks that the grant is signed by `expectedGranter` (a member key pinned by the client,
    /// never one taken from the server's word alone).
    public func verify(signedBy expectedGranter: Ed25519.PublicKey) throws(CryptoFormatError) {
        guard granter == expectedGranter else { throw .grantSignatureInvalid }
        let valid = try CryptoFormatError.wrapping("grant") { () throws(CryptoError) in
            try expectedGranter.isValidSignature(signature, for: signedMessage)
        }
        guard valid else { throw .grantSignatureInvalid }
    }

    /// Verifies the signature, checks the grant is for `vaultID`/`generation` and for
    /// `recipient`'s public key, then unwraps the root key.
    public func open(
        vaultID expectedVault: OpaqueID, generation expectedGeneration: UInt32,
        with recipientKey: X25519.PrivateKey, signedBy expectedGranter: Ed25519.PublicKey
    ) throws(CryptoFormatError) -> VaultKey {
        try verify(signedBy: expectedGranter)
        guard vaultID == expectedVault else { throw .grantMismatch("another vault") }
        guard generation == expectedGeneration else { throw .grantMismatch("another key generation") }
        guard recipient == recipientKey.publicKey else { throw .grantMismatch("wrapped to another member key") }
        let rootKey = try CryptoFormatError.wrapping("vault key grant") { () throws(CryptoError) in
            let wrapKey = try Self.wrappingKey(
                shared: recipientKey.sharedSecret(with: ephemeralPublicKey), ephemeral: ephemeralPublicKey, recipient: recipient)
            let cipher = try AES256GCM(key: wrapKey)
            let aad = Self.associatedData(vaultID: vaultID, generation: generation)
            return try SecretBytes(count: 32) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) -> Void in
                try ByteAccess.with(sealedKey) { (s: UnsafeRawBufferPointer) throws(CryptoError) in
                    try ByteAccess.with(aad) { (a: UnsafeRawBufferPointer) throws(CryptoError) in
                        try cipher.open(s, nonce: [UInt8](repeating: 0, count: 12), aad: a, into: out)
                    }
                }
            }
        }
        return try VaultKey(vaultID: vaultID, generation: generation, rootKey: rootKey)
    }

    /// `HKDF(IKM = X25519 shared secret, salt = ephemeral ‖ recipient, info = "coffre/v1/vault-key-wrap")`.
    static func wrappingKey(shared: SecretBytes, ephemeral: X25519.PublicKey, recipient: X25519.PublicKey) throws(CryptoError) -> SecretBytes {
        try HKDF.deriveKey(
            inputKeyMaterial: shared, salt: ephemeral.rawRepresentation + recipient.rawRepresentation,
            info: Array(wrapLabel.utf8), outputByteCount: 32)
    }

    /// `lp("coffre/v1/vault-key") ‖ lp(vaultId) ‖ u32be(generation)`.
    static func associatedData(vaultID: OpaqueID, generation: UInt32) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.lengthPrefixed(Array(aadLabel.utf8))
        writer.lengthPrefixed(vaultID.bytes)
        writer.u32(generation)
        return writer.bytes
    }

    var signedMessage: [UInt8] {
        var writer = ByteWriter(capacity: 200)
        writer.lengthPrefixed(Array(Self.signatureLabel.utf8))
        writer.raw(unsignedEncoding)
        return writer.bytes
    }
}
