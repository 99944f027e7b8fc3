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
/// which satisfies devices of 512-byte and 4 KiB logical blocks). The last block is padded with
/// zeros and the file cut back to its true size (ftruncate(2)) before the commit's fsync. A
/// device that refuses the alignment (EINVAL) makes the writer turn direct I/O off on the file
/// and carry on through the page cache, so an upload never fails for it.
///
/// Not thread-safe: it belongs to one `DiskBlobUpload` or `DiskBlobBatch`, whose mutex
/// serializes every call. A batch reuses one writer for its blobs, one file after the other
/// (`restart`), so a batch of large blobs allocates one buffer, not one per blob.
final class DirectUploadWriter {
    /// Alignment of the buffer's address and of every direct write's offset and length.
    static let alignment = 4096
    /// Bytes gathered before each write (a multiple of `alignment`).
    static let bufferBytes = 1 << 20

    private let alignment: Int
    private let buffer: UnsafeMutableRawBufferPointer
    /// Bytes of `buffer` holding body bytes not yet written.
    private var filled = 0
    /// Body bytes already written to the file; a multiple of `alignment` while direct.
    private var flushed: Int64 = 0
    /// False once the device refused an aligned write and the file went back to buffered I/O.
    private(set) var isDirect = true

    /// A writer with its buffer; tests pass a smaller `alignment` to make a device refuse it.
    init(alignment: Int = DirectUploadWriter.alignment, bufferBytes: Int = DirectUploadWriter.bufferBytes) throws(BlobStoreError) {
        precondition(alignment >= MemoryLayout<UnsafeRawPointer>.size && bufferBytes % alignment == 0)
        var memory: UnsafeMutableRawPointer?
        let code = posix_memalign(&memory, alignment, bufferBytes)
        guard code == 0, let memory else { throw .system("allocate an upload buffer", errno: code) }
        self.alignment = alignment
        buffer = UnsafeMutableRawBufferPointer(start: memory, count: bufferBytes)
    }

    deinit {
        free(buffer.baseAddress)
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
            if filled == buffer.count { try flush(to: file) }
        }
    }

    /// Writes what is still buffered, leaving the file exactly as long as the bytes appended.
    func finish(_ file: FileDescriptor) throws(BlobStoreError) {
        guard filled > 0 else { return }
        let size = flushed + Int64(filled)
        let padded = try flush(to: file)
        if padded { try file.truncate(to: size, operation: "trim an upload file") }
    }

    /// Writes the buffered bytes at offset `flushed`; direct writes are padded with zeros to
    /// the alignment (only the last one can need it). Returns whether padding was written.
    @discardableResult
    private func flush(to file: FileDescriptor) throws(BlobStoreError) -> Bool {
        let body = filled
        var padded = false
        if isDirect {
            let length = (body + alignment - 1) / alignment * alignment
            if length > body {
                UnsafeMutableRawBufferPointer(rebasing: buffer[body..<length]).initializeMemory(as: UInt8.self, repeating: 0)
            }
            let (written, refused) = try file.writeAll(
                UnsafeRawBufferPointer(rebasing: buffer[0..<length]), at: flushed, operation: "write an upload file")
            padded = written > body
            if refused {
                // The device wants another alignment: the rest goes through the page cache.
                try file.disableDirectIO(operation: "turn off direct writes of an upload file")
                isDirect = false
                let from = min(written, body)
                _ = try file.writeAll(
                    UnsafeRawBufferPointer(rebasing: buffer[from..<body]), at: flushed + Int64(from), operation: "write an upload file")
            }
        } else {
            _ = try file.writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<body]), at: flushed, operation: "write an upload file")
        }
        flushed += Int64(body)
        filled = 0
        return padded
    }
}
