import Glibc
import Synchronization

/// The aligned buffers of direct writes (`DirectUploadWriter`), kept from one upload to the
/// next.
///
/// Why: every large upload, and every batch holding a large blob, allocated its own 1 MiB
/// buffer. glibc serves an allocation that size from a fresh mapping (mallopt(3),
/// M_MMAP_THRESHOLD), so each buffer cost 256 page faults on its first fill and an munmap(2)
/// when freed: about 16,000 faults per GiB that device A uploads in 16 MiB batches
/// (docs/performance.md, "The upload receive path"). A writer takes a buffer when it starts and
/// gives it back when it is released; at most `maxSpare` wait here, the others are freed.
///
/// A buffer's old bytes are never written out: a writer writes only the bytes it was given.
final class DirectWriteBufferPool: Sendable {
    /// One aligned allocation of `bufferBytes`.
    ///
    /// `@unchecked Sendable`: it is owned by exactly one `DirectUploadWriter` or by the pool's
    /// mutex at a time; only the owner reads or writes its memory, so it is never shared.
    struct Buffer: @unchecked Sendable {
        let memory: UnsafeMutableRawBufferPointer
    }

    /// Alignment of each buffer's address (posix_memalign(3)).
    let alignment: Int
    /// Size of each buffer.
    let bufferBytes: Int
    /// Most buffers kept between uploads.
    let maxSpare: Int
    private let spare = Mutex<[Buffer]>([])

    /// A pool of `bufferBytes` buffers aligned to `alignment` (a power of two, at least a
    /// pointer's size, dividing `bufferBytes`), keeping at most `maxSpare` of them.
    init(alignment: Int, bufferBytes: Int, maxSpare: Int) {
        precondition(alignment >= MemoryLayout<UnsafeRawPointer>.size && alignment & (alignment - 1) == 0)
        precondition(bufferBytes > 0 && bufferBytes % alignment == 0 && maxSpare >= 0)
        self.alignment = alignment
        self.bufferBytes = bufferBytes
        self.maxSpare = maxSpare
    }

    deinit {
        for buffer in spare.withLock({ $0 }) { free(buffer.memory.baseAddress) }
    }

    /// A spare buffer, or a new one.
    func take() throws(BlobStoreError) -> Buffer {
        if let buffer = spare.withLock({ $0.popLast() }) { return buffer }
        var memory: UnsafeMutableRawPointer?
        // posix_memalign(3) returns the error number rather than setting errno.
        let code = posix_memalign(&memory, alignment, bufferBytes)
        guard code == 0, let memory else { throw .system("allocate an upload buffer", errno: code) }
        return Buffer(memory: UnsafeMutableRawBufferPointer(start: memory, count: bufferBytes))
    }

    /// Takes back a buffer from `take`, which its owner must not use afterwards; frees it when
    /// `maxSpare` are already kept.
    func giveBack(_ buffer: Buffer) {
        let kept = spare.withLock { spare -> Bool in
            guard spare.count < maxSpare else { return false }
            spare.append(buffer)
            return true
        }
        if !kept { free(buffer.memory.baseAddress) }
    }

    /// How many buffers wait for reuse.
    var spareCount: Int { spare.withLock { $0.count } }
}
