import CoffreCrypto

/// The 229-byte wire form of a grant: `0x01 ‖ vaultId(16) ‖ u32be(generation) ‖ recipient(32) ‖
/// granter(32) ‖ ephemeral(32) ‖ sealedKey(48) ‖ signature(64)`.
extension VaultKeyGrant {
    /// The encoded grant.
    public var encoded: [UInt8] { unsignedEncoding + signature }

    var unsignedEncoding: [UInt8] {
        var writer = ByteWriter(capacity: Self.encodedByteCount)
        writer.u8(Self.version)
        writer.raw(vaultID.bytes)
        writer.u32(generation)
        writer.raw(recipient.rawRepresentation)
        writer.raw(granter.rawRepresentation)
        writer.raw(ephemeralPublicKey.rawRepresentation)
        writer.raw(sealedKey)
        return writer.bytes
    }

    /// Parses an encoded grant (untrusted). The signature is checked by `verify`/`open`, not here.
    public init(encoded: [UInt8]) throws(CryptoFormatError) {
        let structure = "vault key grant"
        guard encoded.count == Self.encodedByteCount else {
            throw .malformed(structure: structure, reason: "must be \(Self.encodedByteCount) bytes, got \(encoded.count)")
        }
        guard encoded[0] == Self.version else { throw .unsupportedVersion(structure: structure, version: encoded[0]) }
        func field(_ range: Range<Int>) -> ArraySlice<UInt8> { encoded[range] }
        let generation = encoded[17..<21].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let keys = try CryptoFormatError.wrapping(structure) { () throws(CryptoError) in
            (try X25519.PublicKey(rawRepresentation: field(21..<53)),
             try Ed25519.PublicKey(rawRepresentation: field(53..<85)),
             try X25519.PublicKey(rawRepresentation: field(85..<117)))
        }
        self.init(
            vaultID: try OpaqueID(bytes: field(1..<17)), generation: generation, recipient: keys.0, granter: keys.1,
            ephemeralPublicKey: keys.2, sealedKey: Array(field(117..<165)), signature: Array(field(165..<229)))
    }
}
