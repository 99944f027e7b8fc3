#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The block-aligned buffers a `FileDescriptorDestination` gathers plaintext in to write it
/// with O_DIRECT: whole blocks from an aligned address to an aligned file offset, as open(2)
/// ("O_DIRECT") requires. Owned by a `FileOpener` and reused for every file it writes, so a
/// download faults them in once.
///
/// Two buffers and a `BackgroundBlockWriter`: while one buffer's blocks go to the device, the
/// writer thread copies the next plaintext into the other.
///
/// `@unchecked Sendable`: used by one run at a time (a `FileOpener` admits one run at a time,
/// `ChunkPipeline.beginRun`), and within a run only under its destination's `Mutex`, except a
/// buffer handed to `writer`, which nobody else touches until `writer.wait()` returns.
final class DirectWriteStaging: @unchecked Sendable {
    /// The alignment of addresses, offsets and lengths: the page size, a multiple of every
    /// logical block size Linux accepts for direct I/O.
    static let blockSize = 4096
    /// Bytes one buffer gathers before it must be written: two of the largest chunks, a pair's plaintext.
    static let capacity = 8 << 20

    /// The two buffers, each `capacity` bytes.
    let buffers: [UnsafeMutableRawBufferPointer]
    /// Per buffer, bytes from the start that ever held plaintext, wiped by `deinit` (the rest
    /// was never touched, so wiping it would only fault it in).
    var touchedCounts = [0, 0]
    /// Writes one buffer's blocks while the other fills.
    let writer = BackgroundBlockWriter()
    /// Test hook: called before each pwrite(2) of staged blocks with its offset and length;
    /// returns the length to pass (less: a short write), or throws an error taken as that
    /// pwrite's.
    let writeFault: WriteFault?

    /// Where a test steps into the staged writes (`writeFault`).
    typealias WriteFault = @Sendable (_ offset: off_t, _ count: Int) throws(PipelineError) -> Int

    init(writeFault: WriteFault? = nil) {
        self.writeFault = writeFault
        buffers = (0..<2).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: Self.capacity, alignment: Self.blockSize) }
    }

    deinit {
        // No write can be in flight: the run that started one waited for it (finish or roll back).
        for (buffer, touched) in zip(buffers, touchedCounts) {
            // explicit_bzero(3): a wipe the compiler may not drop; the buffer held plaintext.
            if touched > 0 { explicit_bzero(buffer.baseAddress!, touched) }
            buffer.deallocate()
        }
    }

    /// Notes that buffer `index` held plaintext in its first `count` bytes.
    func touch(_ index: Int, upTo count: Int) {
        touchedCounts[index] = max(touchedCounts[index], count)
    }
}
