#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The block-aligned buffer a `FileDescriptorDestination` gathers plaintext in to write it
/// with O_DIRECT: whole blocks from an aligned address to an aligned file offset, as open(2)
/// ("O_DIRECT") requires. Owned by a `FileOpener` and reused for every file it writes, so a
/// download faults it in once.
///
/// `@unchecked Sendable`: used by one run at a time (a `FileOpener` admits one run at a time,
/// `ChunkPipeline.beginRun`), and within a run only under its destination's `Mutex`.
final class DirectWriteStaging: @unchecked Sendable {
    /// The alignment of addresses, offsets and lengths: the page size, a multiple of every
    /// logical block size Linux accepts for direct I/O.
    static let blockSize = 4096
    /// Bytes gathered before a write: two of the largest chunks, a pair's plaintext.
    static let capacity = 8 << 20

    let buffer: UnsafeMutableRawBufferPointer
    /// Bytes from the start that ever held plaintext, wiped by `deinit` (the rest was never
    /// touched, so wiping it would only fault it in).
    var touchedCount = 0

    init() {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.capacity, alignment: Self.blockSize)
    }

    deinit {
        // explicit_bzero(3): a wipe the compiler may not drop; the buffer held plaintext.
        if touchedCount > 0 { explicit_bzero(buffer.baseAddress!, touchedCount) }
        buffer.deallocate()
    }
}
