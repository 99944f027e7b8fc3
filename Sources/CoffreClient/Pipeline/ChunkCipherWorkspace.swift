import CoffreCrypto

/// One pipeline worker's OpenSSL state for sealing and opening chunks in place, reused for
/// every chunk: an HMAC-SHA256 context keyed once with the convergence key (restarted per
/// chunk from its saved pads), one AES-256-GCM context re-keyed per chunk, one SHA-256
/// context restarted per blob, and, where the CPU allows, a pair of SHA-NI streams for hashing
/// one chunk's key together with another's blob id. A chunk then costs no context allocation, no algorithm fetch
/// (crypto(7), "PERFORMANCE") and no HMAC key schedule.
///
/// Belongs to one `ChunkCipher` (its convergence key) and to one thread at a time: OpenSSL
/// contexts are not thread-safe, so each worker thread makes its own.
final class ChunkCipherWorkspace {
    /// The convergence key the HMAC context holds; identifies the owning cipher.
    let convergenceKey: SecretBytes
    /// HMAC-SHA256 under the convergence key: chunk keys and key commitments; callers restart
    /// it for each chunk.
    let mac: HMACSHA256
    /// SHA-256 for blob ids; callers restart it for each blob.
    let hasher: SHA256
    /// Made with the first chunk's key, re-keyed for every later chunk.
    private var aesGCM: AES256GCM?
    /// Where the CPU has the SHA extensions: an HMAC stream under the convergence key (a) and
    /// a SHA-256 stream (b), to hash one chunk's key and another chunk's blob id at once.
    private let pair: SHA256Pair?

    /// A workspace for chunks of `cipher`, with the pair of SHA-NI streams when `pairsHashes`
    /// and the CPU has the SHA extensions (`ChunkCipher.openCommitted` needs none).
    init(for cipher: ChunkCipher, pairsHashes: Bool = true) throws(CryptoError) {
        convergenceKey = cipher.convergenceKey
        mac = try HMACSHA256(key: cipher.convergenceKey)
        hasher = try SHA256()
        pair = pairsHashes && SHA256Pair.isAvailable
            ? SHA256Pair(a: try SHA256Stream(hmac: HMACSHA256Pads(key: cipher.convergenceKey)), b: try SHA256Stream()) : nil
    }

    /// True when `restartedPair()` may be called.
    var pairsHashes: Bool { pair != nil }

    /// The pair of streams restarted for a new chunk key (a) and blob id (b), to be fed piece
    /// by piece and finished with `finishPair()`. Only when `pairsHashes`.
    func restartedPair() -> SHA256Pair {
        guard let pair else { preconditionFailure("paired hashing without the SHA extensions") }
        pair.a.restart()
        pair.b.restart()
        return pair
    }

    /// The chunk key (a) and blob id (b) the pair's streams were fed since `restartedPair()`.
    func finishPair() throws(CryptoError) -> (SecretBytes, [UInt8]) {
        guard let pair else { preconditionFailure("paired hashing without the SHA extensions") }
        let key = try SecretBytes(count: SHA256Stream.byteCount) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) in
            try pair.a.finalize(into: out)
        }
        return (key, try pair.b.finalize())
    }

    /// `HMAC(convergence, plaintext)`: the chunk key, and the key commitment when opening.
    func chunkKey(of plaintext: UnsafeRawBufferPointer) throws(CryptoError) -> SecretBytes {
        try mac.restart()
        try mac.update(plaintext)
        return try SecretBytes(count: HMACSHA256.byteCount) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) in
            try mac.finalize(into: out)
        }
    }

    /// The AES-256-GCM context, keyed with `key` and ready for `beginSealing`/`beginOpening`.
    func cipher(key: SecretBytes) throws(CryptoError) -> AES256GCM {
        if let aesGCM {
            try aesGCM.rekey(key)
            return aesGCM
        }
        let made = try AES256GCM(key: key)
        aesGCM = made
        return made
    }
}
