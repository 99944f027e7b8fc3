import CoffreCrypto

/// Chunk sealing inside a caller's reusable buffer, for the pipeline's hot path: the same
/// format as `seal(_:)` (docs/format.md, "Chunks"), with no allocation of the blob and no
/// copy — each pass reads the bytes where they lie — and the OpenSSL contexts of a
/// `ChunkCipherWorkspace`, reused from chunk to chunk.
///
/// When sealing, AES-GCM and the blob's SHA-256 run slice by slice, one right behind the other,
/// so SHA-256 reads each slice of ciphertext while it is still in the core's L1/L2 cache
/// instead of in a second pass over the whole blob (docs/performance.md, "Client encryption
/// pipeline").
extension ChunkCipher {
    /// Offset of the plaintext in a blob: version byte, then the u32be length header.
    static let plaintextOffset = 5

    /// Bytes sealing encrypts before SHA-256 hashes them: small enough to stay in the L2 cache
    /// (and mostly L1) between the two passes, large enough that the calls cost nothing next
    /// to the work. 64 KiB measured faster than 256 KiB and than two whole passes.
    static let interleaveSliceByteCount = 64 << 10

    /// Largest blob: a 4 MiB plaintext, framed, padded and sealed (4,325,393 bytes).
    static var maximumBlobByteCount: Int { blobByteCount(plaintextLength: Int(maximumPlaintextByteCount)) }

    /// A workspace for this cipher's chunks; one per thread.
    func makeWorkspace() throws(CryptoFormatError) -> ChunkCipherWorkspace {
        try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in try ChunkCipherWorkspace(for: self) }
    }

    /// The chunk key of the `length` plaintext bytes that lie at `plaintextOffset` in `buffer`:
    /// `HMAC(convergence, plaintext)`, hashed where they lie.
    func chunkKeyInPlace(
        _ buffer: UnsafeMutableRawBufferPointer, plaintextLength length: Int, using workspace: ChunkCipherWorkspace
    ) throws(CryptoFormatError) -> SecretBytes {
        precondition(buffer.count >= Self.plaintextOffset + length, "chunk buffer smaller than the plaintext")
        precondition(workspace.convergenceKey === convergenceKey, "workspace of another cipher")
        return try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in
            try workspace.chunkKey(of: UnsafeRawBufferPointer(rebasing: buffer[Self.plaintextOffset..<(Self.plaintextOffset + length)]))
        }
    }

    /// Seals the `length` plaintext bytes that lie at `plaintextOffset` in `buffer`, in place:
    /// `buffer[0..<blobByteCount(plaintextLength: length)]` becomes the blob. Returns the
    /// chunk's reference (blob id, chunk key, length).
    func sealInPlace(
        _ buffer: UnsafeMutableRawBufferPointer, plaintextLength length: Int, using workspace: ChunkCipherWorkspace
    ) throws(CryptoFormatError) -> ChunkReference {
        try Self.checkSealable(length)
        let chunkKey = try chunkKeyInPlace(buffer, plaintextLength: length, using: workspace)
        return try sealInPlace(buffer, plaintextLength: length, chunkKey: chunkKey, using: workspace)
    }

    /// `sealInPlace(_:plaintextLength:using:)` with the chunk key already computed (by
    /// `chunkKeyInPlace` or a paired worker's key stream).
    func sealInPlace(
        _ buffer: UnsafeMutableRawBufferPointer, plaintextLength length: Int, chunkKey: SecretBytes,
        using workspace: ChunkCipherWorkspace
    ) throws(CryptoFormatError) -> ChunkReference {
        try Self.checkSealable(length)
        let id = try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in
            // blobId = SHA-256(blob), each slice hashed right after it is encrypted.
            let hasher = workspace.hasher
            try hasher.restart()
            try withUnsafeBytes(of: Self.version) { (version: UnsafeRawBufferPointer) throws(CryptoError) in try hasher.update(version) }
            let total = try encryptFramed(buffer, plaintextLength: length, chunkKey: chunkKey, using: workspace) {
                (slice: UnsafeRawBufferPointer) throws(CryptoError) in try hasher.update(slice)
            }
            try hasher.update(UnsafeRawBufferPointer(rebasing: buffer[(total - AES256GCM.tagByteCount)..<total]))
            return try hasher.finalize()
        }
        return try ChunkReference(blobID: id, key: chunkKey, length: UInt32(length))
    }

    /// Frames and encrypts the `length` plaintext bytes at `plaintextOffset` in `buffer` under
    /// `chunkKey`, in place, without hashing the blob: its id comes later, from
    /// `blobIDInPlace` or hashed beside another chunk's key or id (`PairedSealingWorker`).
    /// Returns the blob's length (it starts at offset 0).
    func encryptInPlace(
        _ buffer: UnsafeMutableRawBufferPointer, plaintextLength length: Int, chunkKey: SecretBytes,
        using workspace: ChunkCipherWorkspace
    ) throws(CryptoFormatError) -> Int {
        try Self.checkSealable(length)
        return try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in
            try encryptFramed(buffer, plaintextLength: length, chunkKey: chunkKey, using: workspace) { (_: UnsafeRawBufferPointer) throws(CryptoError) in }
        }
    }

    /// Refuses a plaintext longer than a chunk may be.
    private static func checkSealable(_ length: Int) throws(CryptoFormatError) {
        guard length <= maximumPlaintextByteCount else {
            throw .malformed(structure: "chunk", reason: "plaintext above \(maximumPlaintextByteCount) bytes")
        }
    }

    /// Writes the blob around the plaintext at `plaintextOffset` (version byte, u32be length,
    /// zero padding up to Padmé(4 + length)) and encrypts it in place with AES-256-GCM (nonce
    /// 12 zero bytes, aad "coffre/v1/chunk", tag after it), calling `afterEachSlice` on each
    /// slice of ciphertext right after it is encrypted. Returns the blob's length.
    private func encryptFramed(
        _ buffer: UnsafeMutableRawBufferPointer, plaintextLength length: Int, chunkKey: SecretBytes,
        using workspace: ChunkCipherWorkspace, afterEachSlice: (UnsafeRawBufferPointer) throws(CryptoError) -> Void
    ) throws(CryptoError) -> Int {
        let framedCount = Padme.paddedLength(4 + length)
        let total = 1 + framedCount + AES256GCM.tagByteCount
        precondition(buffer.count >= total, "chunk buffer smaller than the blob")
        buffer[0] = Self.version
        withUnsafeBytes(of: UInt32(length).bigEndian) { header in
            UnsafeMutableRawBufferPointer(rebasing: buffer[1..<5]).copyMemory(from: header)
        }
        let plaintextEnd = Self.plaintextOffset + length
        UnsafeMutableRawBufferPointer(rebasing: buffer[plaintextEnd..<(1 + framedCount)]).initializeMemory(as: UInt8.self, repeating: 0)

        let cipher = try workspace.cipher(key: chunkKey)
        try ByteAccess.with(Self.associatedData) { (aad: UnsafeRawBufferPointer) throws(CryptoError) in
            try cipher.beginSealing(nonce: Self.nonce, aad: aad)
        }
        try Self.forEachSlice(of: UnsafeMutableRawBufferPointer(rebasing: buffer[1..<(1 + framedCount)])) { slice throws(CryptoError) in
            try cipher.update(UnsafeRawBufferPointer(slice), into: slice)
            try afterEachSlice(UnsafeRawBufferPointer(slice))
        }
        try cipher.finishSealing(tag: UnsafeMutableRawBufferPointer(rebasing: buffer[(1 + framedCount)..<total]))
        return total
    }

    /// Calls `body` on consecutive slices of `bytes` of `interleaveSliceByteCount` bytes (the
    /// last one shorter), in order.
    private static func forEachSlice(
        of bytes: UnsafeMutableRawBufferPointer, _ body: (UnsafeMutableRawBufferPointer) throws(CryptoError) -> Void
    ) throws(CryptoError) {
        var start = 0
        while start < bytes.count {
            let end = min(start + interleaveSliceByteCount, bytes.count)
            try body(UnsafeMutableRawBufferPointer(rebasing: bytes[start..<end]))
            start = end
        }
    }
}
