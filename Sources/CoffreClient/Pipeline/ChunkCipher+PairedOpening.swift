import CoffreCrypto

/// Chunk opening into a separate plaintext buffer with the blob id and the key commitment
/// hashed together as one pair of SHA-256 streams (`SHA256Pair`, SHA-NI), for the sync
/// client's downloads (`FileOpener`), which record the ids of what they open in the chunk
/// cache and so must check them (docs/threat-model.md, "Why a read need not hash the blob").
///
/// The two hashes of one chunk cover nearly the same number of bytes (the blob is the
/// plaintext plus at most 12 % padding and 21 bytes), so almost every block is hashed in a
/// pair, slice by slice right after AES-GCM decrypts the slice. That needs the plaintext
/// while the blob is still intact, so the blob is decrypted into another buffer before its id
/// is known; nothing leaves before every check has passed,
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
        try Self.checkBlobSize(blob.count)
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
        // Each slice of plaintext is hashed, paired with the ciphertext it came from, right
        // after it is decrypted, while both are in the L1/L2 cache; the version byte and the
        // length header go first, the rest of the blob (padding, tag) after.
        let pair = workspace.restartedPair()
        pair.b.update(UnsafeRawBufferPointer(rebasing: blob[0..<Self.plaintextOffset]))
        var blobHashed = Self.plaintextOffset
        let decrypted: FramedPlaintext
        do throws(CryptoFormatError) {
            decrypted = try decryptFramed(framed, tag: tag, key: reference.key, into: plaintext, using: workspace) {
                (slice: UnsafeRawBufferPointer) throws(CryptoError) in
                pair.update(a: slice, b: UnsafeRawBufferPointer(rebasing: blob[blobHashed..<(blobHashed + slice.count)]))
                blobHashed += slice.count
            }
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
        let claimed: Int
        do throws(CryptoFormatError) {
            claimed = try Self.checkFraming(decrypted, framedCount: framedCount, reference: reference)
        } catch {
            try refuse(error)
        }
        // claimed == reference.length ≤ plaintext.count: all of it was decrypted into
        // `plaintext` and stream a took exactly the plaintext.
        pair.b.update(UnsafeRawBufferPointer(rebasing: blob[blobHashed...]))
        let (commitment, id) = try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in try workspace.finishPair() }
        guard ConstantTime.equals(id, reference.blobID) else { throw .blobIDMismatch }
        guard ConstantTime.equals(commitment, reference.key) else { throw .keyCommitmentMismatch }
        accepted = true
        return claimed
    }
}
