#if canImport(Glibc)
import CSystemShims
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The caller's destination descriptor as `FileOpener` uses it: sequential writes from where
/// it stands and, for a regular file, a way back to that point. The descriptor is borrowed:
/// whoever opened it closes it.
///
/// A large run into a regular file is written with O_DIRECT (open(2)) when given a
/// `DirectWriteStaging` and the file system allows it: the plaintext is gathered in the
/// staging buffer and written in whole aligned blocks, straight from there to the device, with
/// no copy into the page cache and no writeback left for the caller's fsync (on this VM the
/// copy into fresh page-cache pages was up to 40 % of a 1 GiB download's CPU: docs/performance.md,
/// "Device B's 1 GiB download: pairs of chunks and direct writes"). The block the run starts in is read
/// back first, so it is rewritten whole with its earlier bytes; the last partial block goes
/// through the page cache (`finish`). O_DIRECT is turned off again whatever happens.
///
/// Otherwise writes go through the page cache, and every `writebackInterval` bytes the range
/// written since the last start goes to sync_file_range(2) with SYNC_FILE_RANGE_WRITE, so the
/// disk works while the rest is fetched and opened. Either way the caller's fsync stays the
/// durability guarantee.
final class FileDescriptorDestination: Sendable {
    /// Bytes written between two writeback starts (page-cache writes).
    static let writebackInterval = 4 << 20
    /// Runs of at least this many bytes are written directly (smaller ones are a few writes,
    /// which the page cache batches with other files' for one fsync).
    static let directWriteMinimum = 8 << 20

    /// A run written with O_DIRECT: where the staged bytes go.
    private struct DirectWrite {
        let staging: DirectWriteStaging
        /// The file's status flags before O_DIRECT was added.
        let flags: Int32
        /// File offset of the staging buffer's first byte (block-aligned).
        var blockOffset: off_t
        /// Bytes in the staging buffer, the run's first block's earlier bytes included.
        var pending: Int
        /// False once a direct write was refused (EINVAL) and O_DIRECT turned off again.
        var isDirect = true
    }

    let fileDescriptor: Int32
    /// The offset at the start, for a regular file (the only kind that can be cut back).
    let start: off_t?
    /// Bytes written so far, by the writer thread; read after the run has drained, which the
    /// pipeline's lock orders after the last write, so relaxed ordering is enough.
    private let written = Atomic<Int>(0)
    /// Bytes (from `start`) whose writeback has been started; the writer thread's alone.
    private let writebackStarted = Atomic<Int>(0)
    /// Non-nil while the run writes directly; taken by the writer thread, then by `finish` or
    /// `rollBack` on the caller's.
    private let direct = Mutex<DirectWrite?>(nil)

    /// Notes whether `fileDescriptor` is a regular file and, if so, its current offset.
    init(fileDescriptor: Int32) throws(PipelineError) {
        self.fileDescriptor = fileDescriptor
        var info = stat()
        guard fstat(fileDescriptor, &info) == 0 else { throw Self.failure("fstat") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            start = nil
            return
        }
        let offset = lseek(fileDescriptor, 0, SEEK_CUR)
        guard offset >= 0 else { throw Self.failure("lseek") }
        start = offset
    }

    /// Before the first write: a run of `byteCount` ≥ `directWriteMinimum` bytes into a
    /// regular file is written through `staging` with O_DIRECT, where the file system allows
    /// it; otherwise (or if that cannot be set up) through the page cache.
    func prepareDirectWrites(byteCount: Int, staging: DirectWriteStaging) {
        guard let start, byteCount >= Self.directWriteMinimum else { return }
        direct.withLock { $0 = Self.beginDirect(fileDescriptor, at: start, staging: staging) }
    }

    /// Writes all of `bytes`: into the staging buffer (and on to the file in whole blocks) for
    /// a direct run, otherwise with write(2) from the current offset, continuing after short
    /// writes and retrying EINTR.
    func write(_ bytes: UnsafeRawBufferPointer) throws(PipelineError) {
        let wroteDirectly = try direct.withLock { (state: inout DirectWrite?) throws(PipelineError) -> Bool in
            // A failure keeps the state, so `rollBack` still turns O_DIRECT off.
            guard state != nil else { return false }
            try Self.stage(bytes, into: &state!, fileDescriptor: fileDescriptor)
            return true
        }
        if wroteDirectly {
            written.add(bytes.count, ordering: .relaxed)
            return
        }
        var offset = 0
        while offset < bytes.count {
            let (count, code) = retryingOnInterrupt { Self.systemWrite(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset) }
            guard count >= 0 else { throw Self.failure("write", code) }
            guard count > 0 else { throw PipelineError.destinationFailed(operation: "write", errno: 0, detail: "no progress") }
            offset += count
            written.add(count, ordering: .relaxed)
        }
        try startWriteback()
    }

    /// Ends a run that succeeded: a direct run writes its last partial block through the page
    /// cache, turns O_DIRECT off and leaves the offset after the last byte written, as
    /// write(2) would have. Nothing to do for other runs.
    func finish() throws(PipelineError) {
        try direct.withLock { (state: inout DirectWrite?) throws(PipelineError) in
            guard let run = state else { return }
            state = nil
            try Self.endDirect(run, fileDescriptor: fileDescriptor)
        }
        guard let start else { return }
        guard lseek(fileDescriptor, start + off_t(written.load(ordering: .relaxed)), SEEK_SET) >= 0 else { throw Self.failure("lseek") }
    }

    /// Cuts a regular file back to its starting length and offset, if anything was written
    /// (O_DIRECT turned off first); does nothing for other kinds of file.
    func rollBack() throws(PipelineError) {
        let run = direct.withLock { state in
            defer { state = nil }
            return state
        }
        if let run { try Self.setFlags(fileDescriptor, run.flags) }
        guard let start else { return }
        if written.load(ordering: .relaxed) == 0 {
            // A direct run may have written blocks of a write that then failed, uncounted.
            var info = stat()
            guard run != nil, fstat(fileDescriptor, &info) == 0, info.st_size != start else { return }
        }
        // ftruncate(2) may be interrupted (EINTR) before it changes anything; retry.
        let (truncated, code) = retryingOnInterrupt { ftruncate(fileDescriptor, start) }
        guard truncated == 0 else { throw Self.failure("ftruncate", code) }
        guard lseek(fileDescriptor, start, SEEK_SET) >= 0 else { throw Self.failure("lseek") }
    }

    /// Whether this run writes with O_DIRECT (the tests check which path they took).
    var writesDirectly: Bool { direct.withLock { $0?.isDirect == true } }

    // MARK: Direct writes

    /// Turns O_DIRECT on and stages the earlier bytes of the block `offset` lies in; nil
    /// (nothing changed) when the file system refuses O_DIRECT or that block cannot be read.
    private static func beginDirect(_ fileDescriptor: Int32, at offset: off_t, staging: DirectWriteStaging) -> DirectWrite? {
        #if canImport(Glibc)
        let (flags, _) = retryingOnInterrupt { fcntl(fileDescriptor, F_GETFL) }
        guard flags >= 0, flags & COFFRE_O_DIRECT == 0 else { return nil }
        let head = Int(offset % off_t(DirectWriteStaging.blockSize))
        if head > 0 {
            let (count, _) = retryingOnInterrupt { pread(fileDescriptor, staging.buffer.baseAddress!, head, offset - off_t(head)) }
            guard count == head else { return nil }
            staging.touchedCount = max(staging.touchedCount, head)
        }
        // fcntl(2): F_SETFL may change O_DIRECT; EINVAL where the file system has no direct I/O.
        let (result, _) = retryingOnInterrupt { fcntl(fileDescriptor, F_SETFL, flags | COFFRE_O_DIRECT) }
        guard result == 0 else { return nil }
        return DirectWrite(staging: staging, flags: flags, blockOffset: offset - off_t(head), pending: head)
        #else
        return nil
        #endif
    }

    /// Copies `bytes` into the staging buffer, writing its whole blocks each time it fills
    /// and, at the end, whatever whole blocks it holds; a partial block stays staged.
    private static func stage(_ bytes: UnsafeRawBufferPointer, into run: inout DirectWrite, fileDescriptor: Int32) throws(PipelineError) {
        let buffer = run.staging.buffer
        var rest = bytes
        while !rest.isEmpty {
            let take = min(rest.count, buffer.count - run.pending)
            UnsafeMutableRawBufferPointer(rebasing: buffer[run.pending..<(run.pending + take)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[..<take]))
            run.pending += take
            run.staging.touchedCount = max(run.staging.touchedCount, run.pending)
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            let whole = run.pending - run.pending % DirectWriteStaging.blockSize
            guard whole > 0, rest.isEmpty || run.pending == buffer.count else { continue }
            try writeBlocks(UnsafeRawBufferPointer(rebasing: buffer[..<whole]), of: &run, fileDescriptor: fileDescriptor)
            // The partial block left moves to the front (less than a block: never overlapping).
            let left = run.pending - whole
            if left > 0 {
                UnsafeMutableRawBufferPointer(rebasing: buffer[..<left]).copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[whole..<run.pending]))
            }
            run.blockOffset += off_t(whole)
            run.pending = left
        }
    }

    /// Writes whole blocks at the run's block offset; where the device refuses them (EINVAL:
    /// open(2), "O_DIRECT", an alignment it does not accept), turns O_DIRECT off and writes
    /// them, and the rest of the run, through the page cache.
    private static func writeBlocks(_ blocks: UnsafeRawBufferPointer, of run: inout DirectWrite, fileDescriptor: Int32) throws(PipelineError) {
        do throws(PipelineError) {
            try writeAll(blocks, at: run.blockOffset, fileDescriptor: fileDescriptor)
        } catch .destinationFailed(operation: "pwrite", errno: EINVAL, detail: _) where run.isDirect {
            try setFlags(fileDescriptor, run.flags)
            run.isDirect = false
            // pwrite(2) writes at an offset: a partial direct write is simply written again.
            try writeAll(blocks, at: run.blockOffset, fileDescriptor: fileDescriptor)
        }
    }

    /// Writes the staged partial block through the page cache and turns O_DIRECT off.
    private static func endDirect(_ run: DirectWrite, fileDescriptor: Int32) throws(PipelineError) {
        try setFlags(fileDescriptor, run.flags)
        try writeAll(UnsafeRawBufferPointer(rebasing: run.staging.buffer[..<run.pending]), at: run.blockOffset, fileDescriptor: fileDescriptor)
    }

    /// pwrite(2) of all of `bytes` at `offset`, continuing after short writes, retrying EINTR.
    private static func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: off_t, fileDescriptor: Int32) throws(PipelineError) {
        var done = 0
        while done < bytes.count {
            let (count, code) = retryingOnInterrupt {
                pwrite(fileDescriptor, bytes.baseAddress! + done, bytes.count - done, offset + off_t(done))
            }
            guard count >= 0 else { throw failure("pwrite", code) }
            guard count > 0 else { throw PipelineError.destinationFailed(operation: "pwrite", errno: 0, detail: "no progress") }
            done += count
        }
    }

    private static func setFlags(_ fileDescriptor: Int32, _ flags: Int32) throws(PipelineError) {
        let (result, code) = retryingOnInterrupt { fcntl(fileDescriptor, F_SETFL, flags) }
        guard result == 0 else { throw failure("fcntl", code) }
    }

    // MARK: Page-cache writes

    /// Starts the disk writes of what was written since the last start, once that reaches
    /// `writebackInterval`; regular files only.
    private func startWriteback() throws(PipelineError) {
        #if canImport(Glibc)
        guard let start else { return }
        let total = written.load(ordering: .relaxed)
        let from = writebackStarted.load(ordering: .relaxed)
        guard total - from >= Self.writebackInterval else { return }
        // sync_file_range(2): "initiate write-out of all dirty pages in the specified range"; EINTR: retry.
        let (result, code) = retryingOnInterrupt {
            coffre_sync_file_range(fileDescriptor, Int64(start) + Int64(from), Int64(total - from), COFFRE_SYNC_FILE_RANGE_WRITE)
        }
        guard result == 0 else { throw Self.failure("sync_file_range", code) }
        writebackStarted.store(total, ordering: .relaxed)
        #endif
    }

    private static func systemWrite(_ fileDescriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(fileDescriptor, bytes, count)
        #else
        Darwin.write(fileDescriptor, bytes, count)
        #endif
    }

    private static func failure(_ operation: String, _ code: Int32 = errno) -> PipelineError {
        // strerror is thread-safe for known errno values in glibc ≥ 2.32; the text never names the file.
        .destinationFailed(operation: operation, errno: code, detail: String(cString: strerror(code)))
    }
}
