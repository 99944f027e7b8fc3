import CoffreCrypto

/// Convergent chunk encryption within a vault (docs/format.md, "Chunks"):
///
///     chunkKey = HMAC-SHA256(convergence, plaintext)
///     framed   = u32be(len) ‖ plaintext ‖ zeros up to Padmé(4 + len)
///     blob     = 0x01 ‖ AES-256-GCM(chunkKey, nonce = 12 zero bytes, framed, aad = "coffre/v1/chunk")
///     blobId   = SHA-256(blob)
///
/// Each key encrypts exactly one plaintext, so the fixed nonce is safe. The plaintext is read in
/// place and written once, straight into the blob buffer; the cipher runs in place there.
public struct ChunkCipher: Sendable {
    /// Largest chunk plaintext a blob may hold, 4 MiB (docs/format.md): the chunker cuts at
    /// 2 MiB, but earlier clients cut at 4 MiB and manifest blobs fill up to this.
    public static let maximumPlaintextByteCount: UInt32 = 4 << 20
    static let version: UInt8 = 1
    static let associatedData = Array("coffre/v1/chunk".utf8)
    static let nonce = [UInt8](repeating: 0, count: 12)
    static let overhead = 1 + AES256GCM.tagByteCount

    let convergenceKey: SecretBytes

    /// A cipher for one vault key generation's `convergence` subkey.
    public init(convergenceKey: SecretBytes) {
        self.convergenceKey = convergenceKey
    }

    /// Blob size for a plaintext of `length` bytes: 1 + Padmé(4 + length) + 16.
    public static func blobByteCount(plaintextLength length: Int) -> Int {
        overhead + Padme.paddedLength(4 + length)
    }

    /// Encrypts one chunk.
    public func seal(_ plaintext: [UInt8]) throws(CryptoFormatError) -> SealedChunk {
        try ByteAccess.with(plaintext) { (raw: UnsafeRawBufferPointer) throws(CryptoFormatError) in try seal(raw) }
    }

    /// Encrypts one chunk read in place from `plaintext` (at most 4 MiB).
    public func seal(_ plaintext: UnsafeRawBufferPointer) throws(CryptoFormatError) -> SealedChunk {
        guard plaintext.count <= Self.maximumPlaintextByteCount else {
            throw .malformed(structure: "chunk", reason: "plaintext above \(Self.maximumPlaintextByteCount) bytes")
        }
        let framedCount = Padme.paddedLength(4 + plaintext.count)
        let (blob, chunkKey, id) = try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in
            let key = try HMACSHA256(key: convergenceKey)
            try key.update(plaintext)
            var tag = try key.finalize()
            defer { SecretBytes.wipe(&tag) }
            let chunkKey = SecretBytes(copying: tag)
            let cipher = try AES256GCM(key: chunkKey)
            // Framing is written once into the blob buffer (no zero-fill of the whole buffer first),
            // then encrypted in place, with the tag after it.
            let total = 1 + framedCount + AES256GCM.tagByteCount
            var blob = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                let out = UnsafeMutableRawBufferPointer(buffer)
                out[0] = Self.version
                withUnsafeBytes(of: UInt32(plaintext.count).bigEndian) { out.baseAddress!.advanced(by: 1).copyMemory(from: $0.baseAddress!, byteCount: 4) }
                if plaintext.count > 0 { out.baseAddress!.advanced(by: 5).copyMemory(from: plaintext.baseAddress!, byteCount: plaintext.count) }
                UnsafeMutableRawBufferPointer(rebasing: out[(5 + plaintext.count)...]).initializeMemory(as: UInt8.self, repeating: 0)
                initialized = total
            }
            try ByteAccess.withMutable(&blob) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) in
                let framed = UnsafeMutableRawBufferPointer(rebasing: out[1..<(1 + framedCount)])
                try ByteAccess.with(Self.associatedData) { (aad: UnsafeRawBufferPointer) throws(CryptoError) in
                    try cipher.beginSealing(nonce: Self.nonce, aad: aad)
                }
                try cipher.update(UnsafeRawBufferPointer(framed), into: framed)
                try cipher.finishSealing(tag: UnsafeMutableRawBufferPointer(rebasing: out[(1 + framedCount)...]))
            }
            return (blob, chunkKey, try SHA256.hash(blob))
        }
        return SealedChunk(blob: blob, reference: try ChunkReference(blobID: id, key: chunkKey, length: UInt32(plaintext.count)))
    }
}
