import CoffreCrypto

/// Two chunks opened on the key commitment alone in one call, their two HMACs hashed in
/// lock-step as a pair of SHA-NI streams (`CommittedPairWorkspace`): the gateway's reads open
/// chunk n and n + 1 together, and the commitment, the one hash stream a read needs
/// (docs/threat-model.md, "Why a read need not hash the blob"), costs about a fifth less.
///
/// Each chunk gets exactly what `openCommitted(_:into:reference:using:)` gives it alone: its
/// plaintext, or the same error after the same checks in the same order (size bounds, version,
/// GCM tag, framing, zero padding, the manifest's length, `HMAC(convergence, plaintext) =
/// chunkKey`), with nothing decrypted left behind a refusal. One chunk's refusal does not
/// touch the other's outcome.
///
/// The first chunk is decrypted whole, then the second slice by slice, each slice hashed
/// right after it is decrypted, paired with the same stretch of the first's plaintext.
extension ChunkCipher {
    /// One chunk of a pair: its blob as fetched (never written), where its plaintext goes (at
    /// least `reference.length` bytes), and what the manifest says of it.
    struct CommittedOpening {
        let blob: UnsafeRawBufferPointer
        let plaintext: UnsafeMutableRawBufferPointer
        let reference: ChunkReference
    }

    /// Opens both chunks; each outcome is the plaintext's length (at the start of its buffer)
    /// or that chunk's refusal. Opens them one after the other where the workspace cannot pair.
    func openCommitted(
        _ first: CommittedOpening, _ second: CommittedOpening, using workspace: CommittedPairWorkspace
    ) -> (first: Result<Int, CryptoFormatError>, second: Result<Int, CryptoFormatError>) {
        precondition(workspace.convergenceKey === convergenceKey, "workspace of another cipher")
        func alone(_ chunk: CommittedOpening) -> Result<Int, CryptoFormatError> {
            Result { () throws(CryptoFormatError) in
                try openCommitted(chunk.blob, into: chunk.plaintext, reference: chunk.reference, using: workspace.chunks)
            }
        }
        guard workspace.pairsCommitments else { return (alone(first), alone(second)) }
        // The first: every check but the commitment; nothing to pair with if it failed.
        let firstFramed = Result { () throws(CryptoFormatError) in
            try openFramed(first.blob, into: first.plaintext, reference: first.reference, using: workspace.chunks) { _ in }
        }
        guard case .success(let firstLength) = firstFramed else { return (firstFramed, alone(second)) }

        let pair = workspace.restartedPair()
        let firstPlaintext = UnsafeRawBufferPointer(rebasing: first.plaintext[0..<firstLength])
        var firstHashed = 0
        let secondFramed = Result { () throws(CryptoFormatError) in
            try openFramed(second.blob, into: second.plaintext, reference: second.reference, using: workspace.chunks) {
                (slice: UnsafeRawBufferPointer) throws(CryptoError) in
                let take = min(slice.count, firstLength - firstHashed)
                pair.update(a: UnsafeRawBufferPointer(rebasing: firstPlaintext[firstHashed..<(firstHashed + take)]), b: slice)
                firstHashed += take
            }
        }
        // Stream a has the first's plaintext up to `firstHashed`, whatever became of the second.
        pair.a.update(UnsafeRawBufferPointer(rebasing: firstPlaintext[firstHashed...]))
        let firstOutcome = Self.checkCommitment(pair.a, of: first, length: firstLength)
        // Stream b took exactly the second's plaintext only when its framing checks passed.
        let secondOutcome = secondFramed.flatMap { length in Self.checkCommitment(pair.b, of: second, length: length) }
        return (firstOutcome, secondOutcome)
    }

    /// Finishes `stream` (fed exactly the chunk's plaintext) and compares it with the chunk
    /// key; wipes the plaintext on a mismatch.
    private static func checkCommitment(
        _ stream: SHA256Stream, of chunk: CommittedOpening, length: Int
    ) -> Result<Int, CryptoFormatError> {
        let commitment = Result { () throws(CryptoFormatError) in
            try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in
                try SecretBytes(count: SHA256Stream.byteCount) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) in
                    try stream.finalize(into: out)
                }
            }
        }
        switch commitment {
        case .success(let commitment) where ConstantTime.equals(commitment, chunk.reference.key):
            return .success(length)
        case .success:
            wipe(chunk.plaintext, count: length)
            return .failure(.keyCommitmentMismatch)
        case .failure(let error):
            wipe(chunk.plaintext, count: length)
            return .failure(error)
        }
    }
}
