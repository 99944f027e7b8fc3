import Glibc

/// Writes one upload file with direct I/O (open(2), "O_DIRECT"): the body is gathered in an
/// aligned buffer and written from it in whole blocks, straight to the device.
///
/// Why: an upload's 201 waits for its bytes to be on stable storage. Through the page cache
/// that means a copy into cache pages, their writeback, and an fsync that waits for it; with
/// direct I/O the copy into this buffer is the only one and the device works while the body
/// arrives, so the final fsync has only the file's size and extents left to write. Measured in
/// docs/performance.md ("Durable uploads"): 8 parallel 4 MiB uploads with direct writes beat
/// buffered writes followed by fsync on this disk.
///
/// Alignment: buffer address, file offsets and lengths are multiples of `alignment` (4 KiB,
/// which satisfies devices of 512-byte and 4 KiB logical blocks). A last partial block goes
/// through the page cache (`finish`), so the file has its true size without ftruncate(2). A
/// device that refuses the alignment (EINVAL) makes the writer turn direct I/O off on the file
/// and carry on through the page cache, so an upload never fails for it.
///
/// Not thread-safe: it belongs to one `DiskBlobUpload` or `DiskBlobBatch`, whose mutex
/// serializes every call. A batch reuses one writer for its blobs, one file after the other
/// (`restart`), and the buffer comes from the store's `DirectWriteBufferPool`, so uploads after
/// the first allocate none.
final class DirectUploadWriter {
    /// Alignment of the buffer's address and of every direct write's offset and length.
    static let alignment = 4096
    /// Bytes gathered before each write (a multiple of `alignment`).
    static let bufferBytes = 1 << 20

    private let alignment: Int
    private let buffer: UnsafeMutableRawBufferPointer
    /// Where `buffer` came from and goes back to.
    private let pool: DirectWriteBufferPool
    /// More buffers from `pool`, taken by `fillBuffers`.
    private var more: [DirectWriteBufferPool.Buffer] = []
    /// Bytes of `buffer` holding body bytes not yet written.
    private var filled = 0
    /// Body bytes already written to the file; a multiple of `alignment` while direct.
    private var flushed: Int64 = 0
    /// False once the device refused an aligned write and the file went back to buffered I/O
    /// (a last partial block written by `finish` through the page cache leaves it true).
    private(set) var isDirect = true

    /// A writer with a buffer from `pool` (a store's `directBuffers`), given back on release.
    init(pool: DirectWriteBufferPool) throws(BlobStoreError) {
        self.pool = pool
        alignment = pool.alignment
        buffer = try pool.take().memory
    }

    /// A writer with a buffer of its own; tests pass a smaller `alignment` to make a device
    /// refuse it.
    convenience init(alignment: Int = DirectUploadWriter.alignment, bufferBytes: Int = DirectUploadWriter.bufferBytes) throws(BlobStoreError) {
        try self.init(pool: DirectWriteBufferPool(alignment: alignment, bufferBytes: bufferBytes, maxSpare: 0))
    }

    deinit {
        pool.giveBack(DirectWriteBufferPool.Buffer(memory: buffer))
        for buffer in more { pool.giveBack(buffer) }
    }

    /// Starts a new file: what is buffered is dropped and the next byte goes to offset 0, with
    /// direct writes again (the new file has O_DIRECT set by its caller).
    func restart() {
        filled = 0
        flushed = 0
        isDirect = true
    }

    /// Adds body bytes, writing each full buffer to `file` at its place.
    func append(_ bytes: UnsafeRawBufferPointer, to file: FileDescriptor) throws(BlobStoreError) {
        var rest = bytes[...]
        while !rest.isEmpty {
            let take = min(rest.count, buffer.count - filled)
            UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + take)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest.prefix(take)))
            filled += take
            rest = rest.dropFirst(take)
            if filled == buffer.count {
                try writeOut(UnsafeRawBufferPointer(buffer), to: file)
                filled = 0
            }
        }
    }

    /// How many buffers `fillBuffers` gives: one filling while the other is written. Four
    /// (three writes queued behind a fill) measured no faster for 8 parallel 4 MiB PUTs
    /// (docs/performance.md, "The body read into the upload's buffers").
    static let fillBufferCount = 2

    /// Aligned buffers for the caller to fill in turn and hand to `writeFilled`: the writer's
    /// own and more from the pool (taken on the first call). Not to be mixed with `append`,
    /// whose bytes gather in the first.
    func fillBuffers() throws(BlobStoreError) -> [UnsafeMutableRawBufferPointer] {
        while more.count < Self.fillBufferCount - 1 { more.append(try pool.take()) }
        return [buffer] + more.map(\.memory)
    }

    /// Writes `bytes` — the start of one of `fillBuffers` — at the file's next offset, from
    /// where they are (no copy). Every call but the last must bring whole blocks; the last
    /// one's partial block goes through the page cache, as `finish` writes it.
    func writeFilled(_ bytes: UnsafeRawBufferPointer, last: Bool, to file: FileDescriptor) throws(BlobStoreError) {
        guard filled == 0, last || bytes.count % alignment == 0 else {
            throw .io(operation: "write an upload file", detail: "a filled buffer that is not whole blocks before the last")
        }
        let whole = isDirect ? bytes.count / alignment * alignment : bytes.count
        if whole > 0 { try writeOut(UnsafeRawBufferPointer(rebasing: bytes[0..<whole]), to: file) }
        if whole < bytes.count {
            try file.disableDirectIO(operation: "turn off direct writes of an upload file")
            _ = try file.writeAll(UnsafeRawBufferPointer(rebasing: bytes[whole...]), at: flushed, operation: "write an upload file")
            flushed += Int64(bytes.count - whole)
        }
    }

    /// Writes what is still buffered, leaving the file exactly as long as the bytes appended:
    /// the whole blocks directly, a last partial block through the page cache (direct I/O
    /// turned off on `file` for it). Padding that block and cutting the file back with
    /// ftruncate(2) instead made ext4 read the block back from the device to zero its tail
    /// (`ext4_block_zero_page_range`): one synchronous read per file, and 200 µs of CPU
    /// (docs/performance.md, "The upload receive path").
    func finish(_ file: FileDescriptor) throws(BlobStoreError) {
        let whole = isDirect ? filled / alignment * alignment : filled
        if whole > 0 { try writeOut(UnsafeRawBufferPointer(rebasing: buffer[0..<whole]), to: file) }
        if whole < filled {
            if isDirect { try file.disableDirectIO(operation: "turn off direct writes of an upload file") }
            _ = try file.writeAll(
                UnsafeRawBufferPointer(rebasing: buffer[whole..<filled]), at: flushed, operation: "write an upload file")
            flushed += Int64(filled - whole)
        }
        filled = 0
    }

    /// Writes `bytes` (whole blocks while direct) at offset `flushed`. A device that refuses
    /// the alignment turns direct I/O off for the rest of the file.
    private func writeOut(_ bytes: UnsafeRawBufferPointer, to file: FileDescriptor) throws(BlobStoreError) {
        if isDirect {
            let (written, refused) = try file.writeAll(bytes, at: flushed, operation: "write an upload file")
            if refused {
                // The device wants another alignment: the rest goes through the page cache.
                try file.disableDirectIO(operation: "turn off direct writes of an upload file")
                isDirect = false
                _ = try file.writeAll(
                    UnsafeRawBufferPointer(rebasing: bytes[written...]), at: flushed + Int64(written), operation: "write an upload file")
            }
        } else {
            _ = try file.writeAll(bytes, at: flushed, operation: "write an upload file")
        }
        flushed += Int64(bytes.count)
    }
}
