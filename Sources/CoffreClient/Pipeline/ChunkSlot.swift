import CoffreCrypto

/// One reusable chunk buffer of the pipeline, big enough for the largest blob it handles (the
/// sealer's: the chunker's 2 MiB maximum, padded and sealed; the opener's: a 4 MiB chunk,
/// 4,325,393 bytes), with what the stages note about the chunk in it.
///
/// Allocated once per pipeline and reused for every chunk, so the steady state allocates
/// nothing per chunk. Sealing overwrites the plaintext with ciphertext in place; opening leaves
/// plaintext, which the next chunk overwrites and `deinit` wipes.
///
/// `@unchecked Sendable`: exactly one stage (producer, worker, consumer) owns a slot at a time,
/// and a slot changes owner only through `ChunkPipeline`'s monitor, whose lock orders each
/// owner's reads and writes after the previous owner's.
final class ChunkSlot: @unchecked Sendable {
    /// The whole buffer; stages use the prefix they need.
    let buffer: UnsafeMutableRawBufferPointer
    /// Position of the chunk in its file (0, 1, 2...).
    var index = 0
    /// Offset of the chunk's plaintext in its file.
    var plaintextOffset: UInt64 = 0
    /// Bytes of input the producer put in `buffer`: plaintext length (sealing, stored after the
    /// 5-byte blob header) or blob length (opening, from offset 0).
    var inputCount = 0
    /// The chunk's reference: the result of sealing, the input of opening.
    var reference: ChunkReference?
    /// Where the result lies in `buffer`: the blob (sealing) or the plaintext (opening).
    var output: Range<Int> = 0..<0
    /// Opening: the chunk fetched after this one into the same slot and opened with it
    /// (`FileOpener`), its reference and blob length; nil for a chunk opened alone.
    var pairedChunk: (reference: ChunkReference, inputCount: Int)?
    /// Sealing: the chunks the server holds, from the run's caller (nil: none known).
    var knownChunks: KnownChunks?
    /// Sealing: the chunk was found in `knownChunks` and not sealed; `output` is empty.
    var isKnown = false
    /// Sealing: the chunk key, from when it is computed until the blob id joins it in
    /// `reference` (a blob whose id is still being hashed waits here with its key).
    var chunkKey: SecretBytes?

    /// A slot of `capacity` bytes, aligned for vector loads.
    init(capacity: Int) {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit {
        // explicit_bzero(3), a wipe the compiler may not drop, of the pages ever written: an
        // opening slot may hold plaintext (ChunkSlot+Linux.swift).
        Self.wipeResidentPages(buffer)
        buffer.deallocate()
    }

    /// The result bytes, valid while the current owner holds the slot.
    var outputBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[output])
    }
}
