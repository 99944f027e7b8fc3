import CoffreCrypto

/// Wrapping of the account's private keys under `kek` (docs/format.md, "Wrapped private key"):
/// `0x01 ‖ nonce(12) ‖ AES-256-GCM(kek, nonce, privateKey(32), aad = label)` — 61 bytes, where
/// the label names what is wrapped, so an X25519 key cannot be unwrapped as an Ed25519 key.
extension AccountKeys {
    static let wrapVersion: UInt8 = 1
    static let wrappedByteCount = 1 + 12 + 32 + 16
    static let agreementLabel = "coffre/v1/wrap/x25519"
    static let signingLabel = "coffre/v1/wrap/ed25519"

    /// Wraps the account's X25519 private key with a random nonce.
    public func wrap(_ key: X25519.PrivateKey) throws(CryptoFormatError) -> [UInt8] {
        try wrap(key.rawRepresentation, label: Self.agreementLabel, nonce: Self.randomNonce())
    }

    /// Wraps the account's Ed25519 private key (seed) with a random nonce.
    public func wrap(_ key: Ed25519.PrivateKey) throws(CryptoFormatError) -> [UInt8] {
        try wrap(key.rawRepresentation, label: Self.signingLabel, nonce: Self.randomNonce())
    }

    /// Unwraps the X25519 private key; fails on any altered byte or a key of the other kind.
    public func unwrapAgreementKey(_ wrapped: [UInt8]) throws(CryptoFormatError) -> X25519.PrivateKey {
        let raw = try unwrap(wrapped, label: Self.agreementLabel)
        return try CryptoFormatError.wrapping("wrapped X25519 key") { () throws(CryptoError) in try X25519.PrivateKey(rawRepresentation: raw) }
    }

    /// Unwraps the Ed25519 private key; fails on any altered byte or a key of the other kind.
    public func unwrapSigningKey(_ wrapped: [UInt8]) throws(CryptoFormatError) -> Ed25519.PrivateKey {
        let raw = try unwrap(wrapped, label: Self.signingLabel)
        return try CryptoFormatError.wrapping("wrapped Ed25519 key") { () throws(CryptoError) in try Ed25519.PrivateKey(rawRepresentation: raw) }
    }

    /// Wraps with a given nonce (test vectors use a fixed one).
    func wrap(_ raw: SecretBytes, label: String, nonce: [UInt8]) throws(CryptoFormatError) -> [UInt8] {
        let sealed = try CryptoFormatError.wrapping("wrapped private key") { () throws(CryptoError) in
            try AES256GCM.seal(raw, key: keyEncryptionKey, nonce: nonce, aad: Array(label.utf8))
        }
        return [Self.wrapVersion] + nonce + sealed
    }

    private func unwrap(_ wrapped: [UInt8], label: String) throws(CryptoFormatError) -> SecretBytes {
        let structure = "wrapped private key"
        guard wrapped.count == Self.wrappedByteCount else {
            throw .malformed(structure: structure, reason: "must be \(Self.wrappedByteCount) bytes, got \(wrapped.count)")
        }
        guard wrapped[0] == Self.wrapVersion else { throw .unsupportedVersion(structure: structure, version: wrapped[0]) }
        let nonce = wrapped[1..<13]
        let aad = Array(label.utf8)
        return try CryptoFormatError.wrapping(structure) { () throws(CryptoError) in
            let cipher = try AES256GCM(key: keyEncryptionKey)
            return try SecretBytes(count: 32) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) -> Void in
                try ByteAccess.with(wrapped[13...]) { (sealed: UnsafeRawBufferPointer) throws(CryptoError) in
                    try ByteAccess.with(aad) { (a: UnsafeRawBufferPointer) throws(CryptoError) in
                        try cipher.open(sealed, nonce: nonce, aad: a, into: out)
                    }
                }
            }
        }
    }

    static func randomNonce() throws(CryptoFormatError) -> [UInt8] {
        try CryptoFormatError.wrapping("nonce") { () throws(CryptoError) in try SecureRandom.bytes(count: AES256GCM.nonceByteCount) }
    }
}
