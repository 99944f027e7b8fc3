import CoffreCrypto

/// Chunks whose blobs the server is known to hold, found by chunk key: `FileSealer` gives a
/// chunk of a file it seals the known reference instead of encrypting and hashing it again.
///
/// Sound because the format is convergent (docs/format.md, "Chunks"): the chunk key is
/// `HMAC(convergence, plaintext)`, so an equal key and length prove the same plaintext, and the
/// blob — AES-256-GCM under that key with a fixed nonce, then its SHA-256 — is a function of
/// key and plaintext, so it is the known blob. Editing a few bytes of a large file then costs
/// one HMAC per unchanged chunk instead of HMAC, AES-GCM and SHA-256.
///
/// The table holds chunk keys, as the manifests and the index it is built from already do; it
/// lives for one seal.
public struct KnownChunks: Sendable {
    private let references: [[UInt8]: ChunkReference]

    /// The chunks `references` name; the caller vouches that the server holds their blobs.
    public init(_ references: some Sequence<ChunkReference>) {
        var table: [[UInt8]: ChunkReference] = [:]
        for reference in references {
            table[reference.key.withUnsafeBytes { Array($0) }] = reference
        }
        self.references = table
    }

    /// No chunk known.
    public var isEmpty: Bool { references.isEmpty }

    /// The known chunk whose key is `key` and whose plaintext is `length` bytes long.
    func reference(key: SecretBytes, length: Int) -> ChunkReference? {
        guard let known = references[key.withUnsafeBytes { Array($0) }], Int(known.length) == length else { return nil }
        return known
    }
}
