import CoffreCrypto

/// Decryption of chunks, checking, in order: size bounds, blob id, version byte, GCM tag,
/// framing (length header and padded size), zero padding, the length the manifest expects, and
/// key commitment (`HMAC(convergence, plaintext) == chunkKey`). Each failure is its own error.
extension ChunkCipher {
    /// Opens `blob`, fetched under `reference.blobID`, and returns its plaintext.
    public func open(_ blob: [UInt8], reference: ChunkReference) throws(CryptoFormatError) -> [UInt8] {
        try ByteAccess.with(blob) { (raw: UnsafeRawBufferPointer) throws(CryptoFormatError) in try open(raw, reference: reference) }
    }

    /// Refuses a blob size no chunk can have: the first check of every way of opening one.
    static func checkBlobSize(_ count: Int) throws(CryptoFormatError) {
        let largest = blobByteCount(plaintextLength: Int(maximumPlaintextByteCount))
        guard count >= overhead + 4, count <= largest else {
            throw .malformed(structure: "chunk blob", reason: "size \(count) outside \(overhead + 4)...\(largest)")
        }
    }

    /// Opens a blob read in place.
    public func open(_ blob: UnsafeRawBufferPointer, reference: ChunkReference) throws(CryptoFormatError) -> [UInt8] {
        try Self.checkBlobSize(blob.count)
        let id = try CryptoFormatError.wrapping("chunk blob") { () throws(CryptoError) in try SHA256.hash(blob) }
        guard ConstantTime.equals(id, reference.blobID) else { throw .blobIDMismatch }
        guard blob[0] == Self.version else { throw .unsupportedVersion(structure: "chunk blob", version: blob[0]) }

        let framedCount = blob.count - Self.overhead
        let framed = UnsafeRawBufferPointer(rebasing: blob[1..<(1 + framedCount)])
        let tag = UnsafeRawBufferPointer(rebasing: blob[(1 + framedCount)...])
        let (plaintext, claimed, paddingIsZero) = try decrypt(framed, tag: tag, key: reference.key)

        // Authenticated from here on: the remaining checks catch a writer that holds the key.
        guard claimed <= framedCount - 4, Padme.paddedLength(4 + claimed) == framedCount else {
            throw .invalidFraming("length header does not match the padded size")
        }
        guard paddingIsZero else { throw .nonzeroPadding(structure: "chunk") }
        guard UInt32(claimed) == reference.length else {
            throw .chunkLengthMismatch(expected: reference.length, actual: UInt32(claimed))
        }
        let commitment = try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in
            try HMACSHA256.authenticationCode(for: plaintext, key: convergenceKey)
        }
        guard ConstantTime.equals(commitment, reference.key) else { throw .keyCommitmentMismatch }
        return plaintext
    }

    /// Decrypts `framed` in three parts — header, plaintext (straight into the result) and
    /// padding (through a small scratch buffer) — then checks the tag. Returns the plaintext, the
    /// length header, and whether every padding byte was zero.
    private func decrypt(
        _ framed: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer, key: SecretBytes
    ) throws(CryptoFormatError) -> ([UInt8], Int, Bool) {
        try CryptoFormatError.wrapping("chunk blob") { () throws(CryptoError) in
            let cipher = try AES256GCM(key: key)
            try ByteAccess.with(Self.associatedData) { (aad: UnsafeRawBufferPointer) throws(CryptoError) in
                try cipher.beginOpening(nonce: Self.nonce, aad: aad)
            }
            var header = [UInt8](repeating: 0, count: 4)
            try ByteAccess.withMutable(&header) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) in
                try cipher.update(UnsafeRawBufferPointer(rebasing: framed[0..<4]), into: out)
            }
            let claimed = Int(header.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            // An unauthenticated header only decides how the bytes are split, never a size to allocate beyond the blob.
            let bodyCount = framed.count - 4
            let plaintextCount = min(claimed, bodyCount)
            // Decrypted straight into the result's storage, skipping a zero-fill of up to 4 MiB.
            var failure: CryptoError?
            var plaintext = [UInt8](unsafeUninitializedCapacity: plaintextCount) { buffer, initialized in
                let out = UnsafeMutableRawBufferPointer(buffer)
                do throws(CryptoError) {
                    try cipher.update(UnsafeRawBufferPointer(rebasing: framed[4..<(4 + plaintextCount)]), into: out)
                } catch {
                    failure = error
                    out.initializeMemory(as: UInt8.self, repeating: 0)
                }
                initialized = plaintextCount
            }
            if let failure { throw failure }
            var nonzero: UInt8 = 0
            var scratch = [UInt8](repeating: 0, count: 4096)
            var offset = 4 + plaintextCount
            while offset < framed.count {
                let end = min(offset + scratch.count, framed.count)
                try ByteAccess.withMutable(&scratch) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) in
                    let piece = UnsafeMutableRawBufferPointer(rebasing: out[0..<(end - offset)])
                    try cipher.update(UnsafeRawBufferPointer(rebasing: framed[offset..<end]), into: piece)
                    for byte in piece { nonzero |= byte }
                }
                offset = end
            }
            do throws(CryptoError) {
                try cipher.finishOpening(tag: tag)
            } catch {
                plaintext.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) }
                throw error
            }
            return (plaintext, claimed, nonzero == 0)
        }
    }
}
