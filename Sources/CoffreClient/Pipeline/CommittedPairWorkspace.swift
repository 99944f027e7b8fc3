import CoffreCrypto

/// A reader's state for opening chunks on the key commitment alone, two at a time
/// (`ChunkCipher.openCommitted(_:_:using:)`): a `ChunkCipherWorkspace` for AES-GCM and the
/// single HMAC, and a pair of HMAC-SHA256 streams under the convergence key (SHA-NI), so the
/// commitments of two chunks are hashed in lock-step, about 1.25× the bytes per second of one
/// stream (docs/performance.md, "Two SHA-256 streams at once: the probe").
///
/// Belongs to one `ChunkCipher` and to one thread at a time, like the workspace it holds.
final class CommittedPairWorkspace {
    /// AES-GCM, and the HMAC for a chunk opened alone.
    let chunks: ChunkCipherWorkspace
    /// Two HMAC streams under the convergence key; nil without the SHA extensions.
    private let pair: SHA256Pair?

    /// A workspace for chunks of `cipher`; without the SHA extensions it opens chunks one at
    /// a time (`pairsCommitments` is false).
    init(for cipher: ChunkCipher) throws(CryptoError) {
        chunks = try ChunkCipherWorkspace(for: cipher)
        if SHA256Pair.isAvailable {
            let pads = try HMACSHA256Pads(key: cipher.convergenceKey)
            pair = SHA256Pair(a: try SHA256Stream(hmac: pads), b: try SHA256Stream(hmac: pads))
        } else {
            pair = nil
        }
    }

    /// The convergence key of the owning cipher.
    var convergenceKey: SecretBytes { chunks.convergenceKey }

    /// True when two commitments can be hashed as a pair.
    var pairsCommitments: Bool { pair != nil }

    /// Both MAC streams restarted for two new chunks. Only when `pairsCommitments`.
    func restartedPair() -> SHA256Pair {
        guard let pair else { preconditionFailure("paired commitments without the SHA extensions") }
        pair.a.restart()
        pair.b.restart()
        return pair
    }
}
