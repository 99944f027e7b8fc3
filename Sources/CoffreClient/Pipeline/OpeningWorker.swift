import CoffreCrypto

/// One `FileOpener` worker's opening of a slot: the slot's one or two chunks checked and
/// decrypted (`ChunkCipher.openCommitted`; two at once with their key commitments hashed as a
/// pair of SHA-NI streams, `ChunkCipher.openCommitted(_:_:using:)`), the plaintext left where
/// the writer takes it.
///
/// A slot carries the chunks at positions 2p and 2p + 1 of the manifest (p the slot's
/// position in the run; the last slot of an odd count carries one), laid out as
/// `OpeningWorker.Layout` says, so every chunk but an odd count's last is opened paired.
///
/// Made on its worker thread and used only there: its workspace (OpenSSL contexts, HMAC pads,
/// the pair of streams) is made with the first slot and kept for every later one.
final class OpeningWorker {
    /// Where a slot's chunks lie: both blobs as fetched, then both plaintexts back to back, so
    /// the writer writes the pair with one write(2).
    ///
    ///     [ first blob | second blob | first plaintext, second plaintext ]
    enum Layout {
        /// Room for one blob: the largest a 4 MiB chunk seals to.
        static let blobCapacity = ChunkCipher.maximumBlobByteCount
        /// Where the plaintexts begin.
        static let plaintextStart = 2 * blobCapacity
        /// A slot's size: two blobs and two plaintexts of the largest chunk.
        static let slotCapacity = plaintextStart + 2 * Int(ChunkCipher.maximumPlaintextByteCount)

        /// Where the slot's chunk `member` (0: first, 1: second) is fetched.
        static func blobSpace(_ member: Int, of slot: ChunkSlot) -> UnsafeMutableRawBufferPointer {
            precondition(member == 0 || member == 1, "a slot holds two chunks")
            let start = member * blobCapacity
            return UnsafeMutableRawBufferPointer(rebasing: slot.buffer[start..<(start + blobCapacity)])
        }
    }

    private let cipher: ChunkCipher
    private var workspace: CommittedPairWorkspace?

    /// A worker for `cipher`'s chunks; its workspace is made with its first slot.
    init(cipher: ChunkCipher) {
        self.cipher = cipher
    }

    /// Opens the slot's chunks (`reference` and `inputCount`, then `pairedChunk` if any) and
    /// sets `output` to their plaintext, in order. A refusal throws
    /// `PipelineError.chunkRejected` with the manifest position of the refused chunk (the
    /// first's when both are refused, the order `open` reports them in one at a time).
    func open(_ slot: ChunkSlot) throws(PipelineError) {
        guard let first = slot.reference else { preconditionFailure("a fetched slot carries its reference") }
        let firstIndex = 2 * slot.index
        let contexts = try workspace(chunkIndex: firstIndex)
        let plaintext = UnsafeMutableRawBufferPointer(rebasing: slot.buffer[Layout.plaintextStart...])
        let firstPlaintext = UnsafeMutableRawBufferPointer(rebasing: plaintext[0..<Int(first.length)])
        let firstBlob = UnsafeRawBufferPointer(rebasing: Layout.blobSpace(0, of: slot)[0..<slot.inputCount])
        guard let second = slot.pairedChunk else {
            do throws(CryptoFormatError) {
                let count = try cipher.openCommitted(firstBlob, into: firstPlaintext, reference: first, using: contexts.chunks)
                slot.output = Layout.plaintextStart..<(Layout.plaintextStart + count)
            } catch {
                throw .chunkRejected(index: firstIndex, reason: error)
            }
            return
        }
        let secondStart = Int(first.length)
        let outcomes = cipher.openCommitted(
            .init(blob: firstBlob, plaintext: firstPlaintext, reference: first),
            .init(
                blob: UnsafeRawBufferPointer(rebasing: Layout.blobSpace(1, of: slot)[0..<second.inputCount]),
                plaintext: UnsafeMutableRawBufferPointer(rebasing: plaintext[secondStart..<(secondStart + Int(second.reference.length))]),
                reference: second.reference),
            using: contexts)
        let firstCount: Int, secondCount: Int
        do throws(CryptoFormatError) { firstCount = try outcomes.first.get() } catch { throw .chunkRejected(index: firstIndex, reason: error) }
        do throws(CryptoFormatError) { secondCount = try outcomes.second.get() } catch { throw .chunkRejected(index: firstIndex + 1, reason: error) }
        // A chunk that opens has exactly its reference's length (`checkFraming`), so the second's
        // plaintext follows the first's without a gap.
        slot.output = Layout.plaintextStart..<(Layout.plaintextStart + firstCount + secondCount)
    }

    /// This worker's workspace, made now if this is its first slot.
    private func workspace(chunkIndex: Int) throws(PipelineError) -> CommittedPairWorkspace {
        if let workspace { return workspace }
        do throws(CryptoFormatError) {
            let made = try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in try CommittedPairWorkspace(for: cipher) }
            workspace = made
            return made
        } catch {
            throw .chunkRejected(index: chunkIndex, reason: error)
        }
    }
}
