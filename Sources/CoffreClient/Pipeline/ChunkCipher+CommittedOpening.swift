import CoffreCrypto

/// Chunk opening trusted on the key commitment alone: the WebDAV gateway's GET and the sync
/// client's downloads, whose chunk cache matches (blob id, chunk key) before it copies
/// (docs/threat-model.md, "Why a read need not hash the blob"). Every check of
/// `open(_:reference:)` but `SHA-256(blob) = blobId`: size bounds, version byte, GCM tag, framing, zero padding, the manifest's length
/// and `HMAC(convergence, plaintext) = chunkKey`. These pin the blob byte for byte, so a blob
/// served under a wrong id is still refused, by the tag or the commitment.
///
/// One pass over the bytes: each slice of plaintext is hashed (HMAC) right after AES-GCM
/// decrypts it, while it is still in the core's L1/L2 cache, so opening costs one SHA-256
/// stream and AES-GCM instead of two SHA-256 streams and AES-GCM.
///
/// Not for a path that would record a blob id alone as naming the plaintext it opened: that
/// needs `open(_:reference:)`, which checks the id.
extension ChunkCipher {
    /// Opens `blob` into `plaintext`, which must hold at least `reference.length` bytes;
    /// returns the plaintext's length (== `reference.length`), at the start of `plaintext`.
    /// `reference.blobID` is not looked at. On failure nothing decrypted is left in
    /// `plaintext`; `blob` is never written.
    func openCommitted(
        _ blob: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawBufferPointer, reference: ChunkReference,
        using workspace: ChunkCipherWorkspace
    ) throws(CryptoFormatError) -> Int {
        precondition(workspace.convergenceKey === convergenceKey, "workspace of another cipher")
        let mac = workspace.mac
        try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in try mac.restart() }
        // The MAC runs over bytes not yet authenticated; its result is looked at only after the tag.
        let claimed = try openFramed(blob, into: plaintext, reference: reference, using: workspace) {
            (slice: UnsafeRawBufferPointer) throws(CryptoError) in try mac.update(slice)
        }
        // claimed == kept: the MAC took exactly the plaintext.
        let commitment = try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in
            try SecretBytes(count: HMACSHA256.byteCount) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) in
                try mac.finalize(into: out)
            }
        }
        guard ConstantTime.equals(commitment, reference.key) else {
            Self.wipe(plaintext, count: claimed)
            throw .keyCommitmentMismatch
        }
        return claimed
    }

    /// Every check of `openCommitted` but the key commitment, in its order (size bounds,
    /// version, GCM tag, framing, zero padding, the manifest's length): decrypts `blob` into
    /// `plaintext` slice by slice, `afterEachSlice` called on each slice of plaintext right
    /// after it is written, and returns the plaintext's length. On failure nothing decrypted
    /// is left in `plaintext`; on success the slices passed to `afterEachSlice` were exactly
    /// the plaintext, in order.
    func openFramed(
        _ blob: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawBufferPointer, reference: ChunkReference,
        using workspace: ChunkCipherWorkspace, afterEachSlice: (UnsafeRawBufferPointer) throws(CryptoError) -> Void
    ) throws(CryptoFormatError) -> Int {
        try Self.checkBlobSize(blob.count)
        precondition(workspace.convergenceKey === convergenceKey, "workspace of another cipher")
        precondition(plaintext.count >= Int(reference.length), "plaintext buffer smaller than the chunk")
        guard blob[0] == Self.version else { throw .unsupportedVersion(structure: "chunk blob", version: blob[0]) }

        let framedCount = blob.count - Self.overhead
        let framed = UnsafeRawBufferPointer(rebasing: blob[1..<(1 + framedCount)])
        let tag = UnsafeRawBufferPointer(rebasing: blob[(1 + framedCount)...])
        let decrypted = try decryptFramed(framed, tag: tag, key: reference.key, into: plaintext, using: workspace, afterEachSlice: afterEachSlice)
        // Authenticated from here on: the remaining checks catch a writer that holds the key.
        do throws(CryptoFormatError) {
            return try Self.checkFraming(decrypted, framedCount: framedCount, reference: reference)
        } catch {
            Self.wipe(plaintext, count: decrypted.kept)
            throw error
        }
    }

    /// Zeroes the first `count` bytes of `plaintext`: what a refused chunk left there.
    static func wipe(_ plaintext: UnsafeMutableRawBufferPointer, count: Int) {
        UnsafeMutableRawBufferPointer(rebasing: plaintext[0..<count]).initializeMemory(as: UInt8.self, repeating: 0)
    }

    /// Opens `blob` into a new array of exactly the chunk's length (`openCommitted` with a
    /// workspace made for this call).
    func openCommitted(_ blob: UnsafeRawBufferPointer, reference: ChunkReference) throws(CryptoFormatError) -> [UInt8] {
        let workspace = try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in
            try ChunkCipherWorkspace(for: self)
        }
        var failure: CryptoFormatError?
        let plaintext = [UInt8](unsafeUninitializedCapacity: Int(reference.length)) { buffer, initialized in
            do throws(CryptoFormatError) {
                initialized = try openCommitted(blob, into: UnsafeMutableRawBufferPointer(buffer), reference: reference, using: workspace)
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return plaintext
    }

    /// What `decryptFramed` found: the length header, the plaintext bytes written at the start
    /// of the buffer, and whether every padding byte (after `4 + claimed`) was zero.
    struct FramedPlaintext {
        let claimed: Int
        let kept: Int
        let paddingIsZero: Bool
    }

    /// The authenticated checks after the tag, in the order of docs/format.md "Chunks":
    /// framing (`len ≤ |framed| − 4` and `Padmé(4 + len) = |framed|`), zero padding, and the
    /// manifest's length. Returns the plaintext length.
    static func checkFraming(
        _ decrypted: FramedPlaintext, framedCount: Int, reference: ChunkReference
    ) throws(CryptoFormatError) -> Int {
        let claimed = decrypted.claimed
        guard claimed <= framedCount - 4, Padme.paddedLength(4 + claimed) == framedCount else {
            throw .invalidFraming("length header does not match the padded size")
        }
        guard decrypted.paddingIsZero else { throw .nonzeroPadding(structure: "chunk") }
        guard UInt32(claimed) == reference.length else {
            throw .chunkLengthMismatch(expected: reference.length, actual: UInt32(claimed))
        }
        return claimed
    }

    /// Bytes of header and padding decrypted at a time through a scratch buffer.
    private static let scratchByteCount = 4096

    /// Decrypts the framed part of a blob (AES-256-GCM, nonce 12 zero bytes, aad
    /// "coffre/v1/chunk") and checks its tag: the length header and the padding through a
    /// scratch buffer, the plaintext straight into `plaintext` (as much as fits; an
    /// unauthenticated header only decides how the bytes are split, never a size), slice by
    /// slice of `interleaveSliceByteCount`, `afterEachSlice` called on each slice of plaintext
    /// right after it is written. On a failed tag what was written is wiped before the error
    /// is thrown.
    func decryptFramed(
        _ framed: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer, key: SecretBytes,
        into plaintext: UnsafeMutableRawBufferPointer, using workspace: ChunkCipherWorkspace,
        afterEachSlice: (UnsafeRawBufferPointer) throws(CryptoError) -> Void
    ) throws(CryptoFormatError) -> FramedPlaintext {
        try CryptoFormatError.wrapping("chunk blob") { () throws(CryptoError) in
            let cipher = try workspace.cipher(key: key)
            try ByteAccess.with(Self.associatedData) { (aad: UnsafeRawBufferPointer) throws(CryptoError) in
                try cipher.beginOpening(nonce: Self.nonce, aad: aad)
            }
            return try withUnsafeTemporaryAllocation(byteCount: Self.scratchByteCount, alignment: 16) {
                (scratch: UnsafeMutableRawBufferPointer) throws(CryptoError) -> FramedPlaintext in
                try cipher.update(UnsafeRawBufferPointer(rebasing: framed[0..<4]), into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<4]))
                let claimed = scratch.prefix(4).reduce(0) { $0 << 8 | Int($1) }
                let kept = min(claimed, framed.count - 4, plaintext.count)
                do throws(CryptoError) {
                    var start = 0
                    while start < kept {
                        let end = min(start + Self.interleaveSliceByteCount, kept)
                        let slice = UnsafeMutableRawBufferPointer(rebasing: plaintext[start..<end])
                        try cipher.update(UnsafeRawBufferPointer(rebasing: framed[(4 + start)..<(4 + end)]), into: slice)
                        try afterEachSlice(UnsafeRawBufferPointer(slice))
                        start = end
                    }
                    // The rest: plaintext that did not fit (the length check refuses it later), then padding.
                    var nonzero: UInt8 = 0
                    var offset = 4 + kept
                    while offset < framed.count {
                        let end = min(offset + scratch.count, framed.count)
                        let piece = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<(end - offset)])
                        try cipher.update(UnsafeRawBufferPointer(rebasing: framed[offset..<end]), into: piece)
                        for byte in piece[min(piece.count, max(0, 4 + claimed - offset))...] { nonzero |= byte }
                        offset = end
                    }
                    try cipher.finishOpening(tag: tag)
                    return FramedPlaintext(claimed: claimed, kept: kept, paddingIsZero: nonzero == 0)
                } catch {
                    Self.wipe(plaintext, count: kept)
                    throw error
                }
            }
        }
    }
}
