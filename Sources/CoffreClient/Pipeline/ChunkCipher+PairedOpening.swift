import CoffreCrypto

/// Chunk opening into a separate plaintext buffer with the blob id and the key commitment
/// hashed together as one pair of SHA-256 streams (`SHA256Pair`, SHA-NI), for the download
/// paths: `FileOpener` and the WebDAV gateway's reads.
///
/// The two hashes of one chunk cover nearly the same number of bytes (the blob is the
/// plaintext plus at most 12 % padding and 21 bytes), so almost every block is hashed in a
/// pair. That needs the plaintext while the blob is still intact, so the blob is decrypted
/// into another buffer before its id is known; nothing leaves before every check has passed,
/// a failure wipes what was decrypted, and the blob stays as fetched. The checks and their
/// precedence are `open(_:reference:)`'s (docs/format.md, "Chunks"): a wrong id is reported
/// before any other failure except the size bounds.
extension ChunkCipher {
    /// Opens `blob` (fetched under `reference.blobID`) into `plaintext`, which must hold at
    /// least `reference.length` bytes; returns the plaintext's length (== `reference.length`),
    /// at the start of `plaintext`. Only when `workspace.pairsHashes`. On failure nothing
    /// decrypted is left in `plaintext` and `blob` is untouched.
    func openPaired(
        _ blob: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawBufferPointer, reference: ChunkReference,
        using workspace: ChunkCipherWorkspace
    ) throws(CryptoFormatError) -> Int {
        guard blob.count >= Self.overhead + 4, blob.count <= Self.maximumBlobByteCount else {
            throw .malformed(structure: "chunk blob", reason: "size \(blob.count) outside \(Self.overhead + 4)...\(Self.maximumBlobByteCount)")
        }
        precondition(workspace.convergenceKey === convergenceKey, "workspace of another cipher")
        precondition(workspace.pairsHashes, "paired opening without the SHA extensions")
        precondition(plaintext.count >= Int(reference.length), "plaintext buffer smaller than the chunk")

        /// A failure found before the pair is hashed; the id is hashed alone so that a wrong id
        /// is still what is reported.
        func refuse(_ error: CryptoFormatError) throws(CryptoFormatError) -> Never {
            let id = try blobIDInPlace(blob, using: workspace)
            guard ConstantTime.equals(id, reference.blobID) else { throw .blobIDMismatch }
            throw error
        }
        guard blob[0] == Self.version else { try refuse(.unsupportedVersion(structure: "chunk blob", version: blob[0])) }

        let framedCount = blob.count - Self.overhead
        let framed = UnsafeRawBufferPointer(rebasing: blob[1..<(1 + framedCount)])
        let tag = UnsafeRawBufferPointer(rebasing: blob[(1 + framedCount)...])
        let decrypted: FramedPlaintext
        do throws(CryptoFormatError) {
            decrypted = try decryptFramed(framed, tag: tag, key: reference.key, into: plaintext, using: workspace)
        } catch {
            try refuse(error)
        }
        var accepted = false
        defer {
            if !accepted {
                UnsafeMutableRawBufferPointer(rebasing: plaintext[0..<decrypted.kept]).initializeMemory(as: UInt8.self, repeating: 0)
            }
        }

        // Authenticated from here on: the remaining checks catch a writer that holds the key.
        let claimed = decrypted.claimed
        guard claimed <= framedCount - 4, Padme.paddedLength(4 + claimed) == framedCount else {
            try refuse(.invalidFraming("length header does not match the padded size"))
        }
        guard decrypted.paddingIsZero else { try refuse(.nonzeroPadding(structure: "chunk")) }
        guard UInt32(claimed) == reference.length else {
            try refuse(.chunkLengthMismatch(expected: reference.length, actual: UInt32(claimed)))
        }
        // claimed == reference.length ≤ plaintext.count, so all of it was decrypted into `plaintext`.
        let (commitment, id) = try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in
            try workspace.chunkKeyAndBlobID(of: UnsafeRawBufferPointer(rebasing: plaintext[0..<claimed]), blob: blob)
        }
        guard ConstantTime.equals(id, reference.blobID) else { throw .blobIDMismatch }
        guard ConstantTime.equals(commitment, reference.key) else { throw .keyCommitmentMismatch }
        accepted = true
        return claimed
    }

    /// Opens `blob` into a new array of exactly the chunk's length: `openPaired` with a
    /// workspace made for this call where the CPU has the SHA extensions, `open(_:reference:)`
    /// elsewhere. For chunks large enough (tens of KiB and up) that making the contexts costs
    /// nothing next to hashing them.
    func openPaired(_ blob: UnsafeRawBufferPointer, reference: ChunkReference) throws(CryptoFormatError) -> [UInt8] {
        guard SHA256Pair.isAvailable else { return try open(blob, reference: reference) }
        let workspace = try makeWorkspace()
        var failure: CryptoFormatError?
        let plaintext = [UInt8](unsafeUninitializedCapacity: Int(reference.length)) { buffer, initialized in
            do throws(CryptoFormatError) {
                initialized = try openPaired(blob, into: UnsafeMutableRawBufferPointer(buffer), reference: reference, using: workspace)
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
    private struct FramedPlaintext {
        let claimed: Int
        let kept: Int
        let paddingIsZero: Bool
    }

    /// Bytes of header and padding decrypted at a time through a scratch buffer.
    private static let scratchByteCount = 4096

    /// Decrypts the framed part of a blob (AES-256-GCM, nonce 12 zero bytes, aad
    /// "coffre/v1/chunk") and checks its tag: the length header and the padding through a
    /// scratch buffer, the plaintext straight into `plaintext` (as much as fits; an
    /// unauthenticated header only decides how the bytes are split, never a size). On a failed
    /// tag what was written is wiped before the error is thrown.
    private func decryptFramed(
        _ framed: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer, key: SecretBytes,
        into plaintext: UnsafeMutableRawBufferPointer, using workspace: ChunkCipherWorkspace
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
                    try cipher.update(
                        UnsafeRawBufferPointer(rebasing: framed[4..<(4 + kept)]), into: UnsafeMutableRawBufferPointer(rebasing: plaintext[0..<kept]))
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
                    UnsafeMutableRawBufferPointer(rebasing: plaintext[0..<kept]).initializeMemory(as: UInt8.self, repeating: 0)
                    throw error
                }
            }
        }
    }
}
