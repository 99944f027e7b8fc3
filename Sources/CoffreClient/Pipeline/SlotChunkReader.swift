#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The sealer's reader: cuts a byte source into the chunks of `Chunker.cutPoints(in:)` and
/// reads each chunk straight into the pipeline buffer its blob will be framed in, behind the
/// 5-byte header, scanning it there for the cut.
///
/// Reads are at most `readByteCount` bytes (256 KiB), so each one is scanned while it is still in the
/// core's cache, and only the bytes read past a cut — less than one read — move on to the next
/// chunk's buffer, through a carry buffer (the current buffer goes to the workers first). A
/// chunk is then copied in part, not whole, and no chunking window is needed.
///
/// Owns its carry buffer; used by the sealer's reader thread only.
final class SlotChunkReader {
    /// Most bytes asked of the source at once, at most the minimum chunk size, so the bytes
    /// carried over never hold a cut of their own (only the source's end can cut them).
    let readByteCount: Int

    /// The run failed elsewhere (no buffer left to fill); its error is already recorded.
    struct Stopped: Error {}

    let chunker: Chunker
    private let carry: UnsafeMutableRawBufferPointer

    /// A reader for `chunker`'s cut points.
    init(chunker: Chunker) {
        self.chunker = chunker
        readByteCount = min(256 << 10, chunker.parameters.minimumSize)
        carry = UnsafeMutableRawBufferPointer.allocate(byteCount: readByteCount, alignment: 64)
    }

    deinit {
        // explicit_bzero(3): the carried bytes are plaintext.
        explicit_bzero(carry.baseAddress!, carry.count)
        carry.deallocate()
    }

    /// Reads `source` to its end and submits each chunk, in order, in a buffer of `pipeline`,
    /// noting `known` in each. Throws the source's error, `ChunkingError.invalidReadCount` for
    /// a source that reports more bytes than asked or a negative count, or `Stopped`. Every
    /// buffer taken is submitted or given back.
    func read(
        _ source: inout some ByteSource, known: KnownChunks?, into pipeline: ChunkPipeline<SourceHandOff>, run: PipelineRun
    ) throws {
        let start = ChunkCipher.plaintextOffset
        let limits = chunker.parameters
        var carried = 0
        var streamOffset = 0
        var atEnd = false
        while true {
            guard let slot = pipeline.acquireSlot(for: run) else { throw Stopped() }
            let chunkBase = slot.buffer.baseAddress! + start
            let room = slot.buffer.count - start
            precondition(room > limits.maximumSize, "chunk buffer smaller than the largest chunk")
            chunkBase.copyMemory(from: carry.baseAddress!, byteCount: carried)
            var pending = carried
            var state = ScanState(parameters: limits)
            var cut: Int?
            do {
                // Undecided means fewer than maximumSize bytes are pending, so `room` is never reached.
                while true {
                    cut = chunker.nextChunkLength(at: UnsafeRawPointer(chunkBase), available: pending, atEnd: atEnd, state: &state)
                    if cut != nil { break }
                    let requested = min(readByteCount, room - pending)
                    let count = try source.read(into: UnsafeMutableRawBufferPointer(start: chunkBase + pending, count: requested))
                    guard count >= 0, count <= requested else {
                        throw ChunkingError.invalidReadCount(returned: count, requested: requested)
                    }
                    if count == 0 { atEnd = true } else { pending += count }
                }
            } catch {
                pipeline.release(slot, for: run)
                throw error
            }
            guard let length = cut, length > 0 else {
                pipeline.release(slot, for: run)
                return
            }
            // The cut lies in the last read (the scan before it found none), so the rest fits.
            carried = pending - length
            precondition(carried <= carry.count, "more than one read past a cut")
            carry.baseAddress!.copyMemory(from: chunkBase + length, byteCount: carried)
            slot.inputCount = length
            slot.plaintextOffset = UInt64(streamOffset)
            slot.knownChunks = known
            pipeline.submit(slot, for: run)
            streamOffset += length
        }
    }
}
