import CoffreCrypto

/// What the chunk cache records of a chunk key: `SHA-256(label ‖ chunkKey)`, 32 bytes, with
/// `label` the 32 bytes of "coffre/v1/chunk-cache-commitment" (FIPS 180-4), so that a cache row
/// is matched by `(blob id, key)` without the index holding the key itself
/// (docs/threat-model.md, "Why a read need not hash the blob").
///
/// Binding: two keys with one commitment would be a SHA-256 collision, the assumption blob ids
/// already rest on. Hiding: a chunk key is 256 bits derived under the vault's secret
/// `convergence` key, so the digest gives nothing to guess from; the label keeps it apart
/// from every other SHA-256 in the format. Compared in constant time (`matches`).
struct ChunkKeyCommitment: Sendable {
    /// Bytes of a commitment.
    static let byteCount = SHA256.byteCount
    /// Domain separation: exactly one SHA-256 block with the key, nothing else hashes this prefix.
    private static let label = Array("coffre/v1/chunk-cache-commitment".utf8)

    /// The 32 bytes stored in the index's `chunks.key_commitment`.
    let bytes: [UInt8]

    /// The commitment to `key`.
    init(to key: SecretBytes) throws(SyncClientError) {
        var input = Self.label
        input.reserveCapacity(Self.label.count + key.count)
        input.append(contentsOf: key)
        defer { SecretBytes.wipe(&input) }
        var digest = [UInt8](repeating: 0, count: Self.byteCount)
        do {
            try CryptoFormatError.wrapping("chunk key commitment") { () throws(CryptoError) in
                try ByteAccess.with(input) { (message: UnsafeRawBufferPointer) throws(CryptoError) in
                    try ByteAccess.withMutable(&digest) { (output: UnsafeMutableRawBufferPointer) throws(CryptoError) in
                        try SHA256.hash(message, into: output)
                    }
                }
            }
        } catch {
            throw .crypto(operation: "commit to a chunk key", underlying: error)
        }
        bytes = digest
    }

    /// Whether `stored` (a commitment read from the index) is this one, in constant time.
    func matches(_ stored: [UInt8]) -> Bool {
        ConstantTime.equals(bytes, stored)
    }
}
