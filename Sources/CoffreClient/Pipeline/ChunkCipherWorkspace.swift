import CoffreCrypto

/// One pipeline worker's OpenSSL state for sealing and opening chunks in place, reused for
/// every chunk: an HMAC-SHA256 context keyed once with the convergence key (restarted per
/// chunk from its saved pads), one AES-256-GCM context re-keyed per chunk, one SHA-256
/// context restarted per blob. A chunk then costs no context allocation, no algorithm fetch
/// (crypto(7), "PERFORMANCE") and no HMAC key schedule. (Sealing's paired SHA-NI hashing has
/// its own streams: `PairedSealingWorker`; so has paired opening: `CommittedPairWorkspace`.)
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
    /// A workspace for chunks of `cipher`.
    init(for cipher: ChunkCipher) throws(CryptoError) {
        convergenceKey = cipher.convergenceKey
        mac = try HMACSHA256(key: cipher.convergenceKey)
        hasher = try SHA256()
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
