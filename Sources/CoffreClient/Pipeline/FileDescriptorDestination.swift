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
/// `DirectWriteStaging` and the file system allows it: the plaintext is gathered in a
/// staging buffer and written in whole aligned blocks, straight from there to the device, with
/// no copy into the page cache and no writeback left for the caller's fsync (on this VM the
/// copy into fresh page-cache pages was up to 40 % of a 1 GiB download's CPU: docs/performance.md,
/// "Device B's 1 GiB download: pairs of chunks and direct writes"). The block the run starts in is read
/// back first, so it is rewritten whole with its earlier bytes; the last partial block goes
/// through the page cache (`finish`). O_DIRECT is turned off again whatever happens. The
/// device writes one buffer in the background while the writer thread fills the other
/// (`BackgroundBlockWriter`): a direct write is no longer a wait for the device on the writer's
/// path, only when the device falls a whole buffer behind.
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
        /// File offset of the filling buffer's first byte (block-aligned).
        var blockOffset: off_t
        /// Bytes in the filling buffer, the run's first block's earlier bytes included.
        var pending: Int
        /// Which of the staging's two buffers is being filled (the other may be in flight).
        var filling = 0
        /// The whole blocks at the front of the filling buffer, in bytes (the rest: a partial block).
        var wholeBlockBytes: Int { pending - pending % DirectWriteStaging.blockSize }
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
    /// Set by a background write that the device refused (EINVAL) and that turned O_DIRECT
    /// off; the rest of the run is written through the page cache.
    private let directRefused = Atomic<Bool>(false)
    /// The run was set up to write directly (kept after `finish` took the state, for `rollBack`).
    private let wroteDirectly = Atomic<Bool>(false)

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
        let run = Self.beginDirect(fileDescriptor, at: start, staging: staging)
        wroteDirectly.store(run != nil, ordering: .relaxed)
        direct.withLock { $0 = run }
    }

    /// Writes all of `bytes`: into the staging buffers (and on to the file in whole blocks,
    /// in the background) for a direct run, otherwise with write(2) from the current offset,
    /// continuing after short writes and retrying EINTR. A direct run's background write that
    /// failed is thrown by a later `write` or by `finish`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(PipelineError) {
        let staged = try direct.withLock { (state: inout DirectWrite?) throws(PipelineError) -> Bool in
            // A failure keeps the state, so `rollBack` still waits for the write in flight and
            // turns O_DIRECT off.
            guard state != nil else { return false }
            try stage(bytes, into: &state!)
            return true
        }
        if staged {
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

    /// For a direct run (`writesDirectly`): lets `fill` put up to `count` bytes straight into the
    /// staging buffer, where `write` would have copied them, and stages the bytes it says it
    /// put there (so a read from a file lands in the buffer that goes to the device, with no
    /// copy in between); returns that count. `fill`'s error is rethrown, nothing of it staged.
    func writeInPlace(
        upTo count: Int, _ fill: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws -> Int {
        let filled = try direct.withLock { (state: inout DirectWrite?) throws -> Int in
            guard var run = state else { throw PipelineError.destinationFailed(operation: "stage", errno: 0, detail: "not a direct run") }
            let buffer = run.staging.buffers[run.filling]
            let space = UnsafeMutableRawBufferPointer(rebasing: buffer[run.pending..<min(buffer.count, run.pending + count)])
            // Noted before `fill`, which may leave bytes there even when it fails.
            run.staging.touch(run.filling, upTo: run.pending + space.count)
            let filled = try fill(space)
            precondition(filled >= 0 && filled <= space.count, "fill reported more bytes than it was given")
            // `send` may throw after taking the buffer: keep the state current for `rollBack`.
            defer { state = run }
            try advance(&run, by: filled)
            try sendIfIdle(&run)
            return filled
        }
        written.add(filled, ordering: .relaxed)
        return filled
    }

    /// Ends a run that succeeded: a direct run waits for its write in flight (throwing its
    /// error), writes the whole blocks still staged directly and its last partial block
    /// through the page cache, turns O_DIRECT off and leaves the offset after the last byte
    /// written, as write(2) would have. Nothing to do for other runs.
    func finish() throws(PipelineError) {
        try direct.withLock { (state: inout DirectWrite?) throws(PipelineError) in
            guard let run = state else { return }
            state = nil
            let buffer = run.staging.buffers[run.filling]
            let whole = run.wholeBlockBytes
            let blocks = Result(catching: { () throws(PipelineError) in
                try run.staging.writer.wait()
                if whole > 0 {
                    try writeBlocks(UnsafeRawBufferPointer(rebasing: buffer[..<whole]), at: run.blockOffset, flags: run.flags, staging: run.staging)
                }
            })
            try Self.setFlags(fileDescriptor, run.flags)
            try blocks.get()
            let tail = UnsafeRawBufferPointer(rebasing: buffer[whole..<run.pending])
            try Self.writeAll(tail, at: run.blockOffset + off_t(whole), fileDescriptor: fileDescriptor)
        }
        guard let start else { return }
        guard lseek(fileDescriptor, start + off_t(written.load(ordering: .relaxed)), SEEK_SET) >= 0 else { throw Self.failure("lseek") }
    }

    /// Cuts a regular file back to its starting length and offset, if anything was written
    /// (a direct run's write in flight waited for and O_DIRECT turned off first, so nothing
    /// lands after the cut); does nothing for other kinds of file.
    func rollBack() throws(PipelineError) {
        let run = direct.withLock { state in
            defer { state = nil }
            return state
        }
        if let run {
            // Its error, if any, is not the run's: the run failed already.
            _ = Result(catching: { () throws(PipelineError) in try run.staging.writer.wait() })
            try Self.setFlags(fileDescriptor, run.flags)
        }
        guard let start else { return }
        if wroteDirectly.load(ordering: .relaxed) {
            // The count says nothing of a direct run: its bytes are counted when staged, reach
            // the file in the background, and a write that failed may have left blocks
            // uncounted. The file's length does: cut only when it moved.
            var info = stat()
            guard fstat(fileDescriptor, &info) == 0, info.st_size != start else { return }
        } else if written.load(ordering: .relaxed) == 0 {
            return
        }
        // ftruncate(2) may be interrupted (EINTR) before it changes anything; retry.
        let (truncated, code) = retryingOnInterrupt { ftruncate(fileDescriptor, start) }
        guard truncated == 0 else { throw Self.failure("ftruncate", code) }
        guard lseek(fileDescriptor, start, SEEK_SET) >= 0 else { throw Self.failure("lseek") }
    }

    /// Whether this run writes with O_DIRECT (the tests check which path they took).
    var writesDirectly: Bool { direct.withLock { $0 != nil } && !directRefused.load(ordering: .relaxed) }

    // MARK: Direct writes

    /// Turns O_DIRECT on and stages the earlier bytes of the block `offset` lies in; nil
    /// (nothing changed) when the file system refuses O_DIRECT or that block cannot be read.
    private static func beginDirect(_ fileDescriptor: Int32, at offset: off_t, staging: DirectWriteStaging) -> DirectWrite? {
        #if canImport(Glibc)
        precondition(!staging.writer.hasPendingWrite, "the previous run waited for its last write")
        let (flags, _) = retryingOnInterrupt { fcntl(fileDescriptor, F_GETFL) }
        guard flags >= 0, flags & COFFRE_O_DIRECT == 0 else { return nil }
        let head = Int(offset % off_t(DirectWriteStaging.blockSize))
        if head > 0 {
            let (count, _) = retryingOnInterrupt { pread(fileDescriptor, staging.buffers[0].baseAddress!, head, offset - off_t(head)) }
            guard count == head else { return nil }
            staging.touch(0, upTo: head)
        }
        // fcntl(2): F_SETFL may change O_DIRECT; EINVAL where the file system has no direct I/O.
        let (result, _) = retryingOnInterrupt { fcntl(fileDescriptor, F_SETFL, flags | COFFRE_O_DIRECT) }
        guard result == 0 else { return nil }
        return DirectWrite(staging: staging, flags: flags, blockOffset: offset - off_t(head), pending: head)
        #else
        return nil
        #endif
    }

    /// Copies `bytes` into the filling buffer, sending its whole blocks to the device each
    /// time it fills and, at the end, if the device is idle (the write in flight done): so the
    /// device always has work while it keeps up, and gets up to a full buffer per write when
    /// it does not. A partial block stays staged.
    private func stage(_ bytes: UnsafeRawBufferPointer, into run: inout DirectWrite) throws(PipelineError) {
        var rest = bytes
        while !rest.isEmpty {
            let buffer = run.staging.buffers[run.filling]
            let take = min(rest.count, buffer.count - run.pending)
            UnsafeMutableRawBufferPointer(rebasing: buffer[run.pending..<(run.pending + take)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[..<take]))
            try advance(&run, by: take)
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
        }
        try sendIfIdle(&run)
    }

    /// Counts `count` bytes just put into the filling buffer after its pending ones, and hands
    /// the buffer on when that filled it.
    private func advance(_ run: inout DirectWrite, by count: Int) throws(PipelineError) {
        run.pending += count
        run.staging.touch(run.filling, upTo: run.pending)
        if run.pending == run.staging.buffers[run.filling].count { try send(&run) }
    }

    /// Hands on the whole blocks staged so far when no write is in flight, so the device never
    /// waits for a full buffer.
    private func sendIfIdle(_ run: inout DirectWrite) throws(PipelineError) {
        if !run.staging.writer.isWriting { try send(&run) }
    }

    /// Hands the filling buffer's whole blocks to the background writer (after waiting for the
    /// write in flight, whose error it throws) and goes on in the other buffer, the partial
    /// block left moved to its front.
    private func send(_ run: inout DirectWrite) throws(PipelineError) {
        let whole = run.wholeBlockBytes
        guard whole > 0 else { return }
        let staging = run.staging
        try staging.writer.wait()
        let next = 1 - run.filling
        let left = run.pending - whole
        if left > 0 {
            UnsafeMutableRawBufferPointer(rebasing: staging.buffers[next][..<left])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: staging.buffers[run.filling][whole..<run.pending]))
            staging.touch(next, upTo: left)
        }
        let (index, offset, flags) = (run.filling, run.blockOffset, run.flags)
        staging.writer.start { () throws(PipelineError) in
            try self.writeBlocks(UnsafeRawBufferPointer(rebasing: staging.buffers[index][..<whole]), at: offset, flags: flags, staging: staging)
        }
        run.blockOffset += off_t(whole)
        run.pending = left
        run.filling = next
    }

    /// Writes whole blocks at `offset` (on the background writer's queue); where the device
    /// refuses them (EINVAL: open(2), "O_DIRECT", an alignment it does not accept), turns
    /// O_DIRECT off (back to `flags`) and writes them, and the rest of the run, through the
    /// page cache.
    private func writeBlocks(
        _ blocks: UnsafeRawBufferPointer, at offset: off_t, flags: Int32, staging: DirectWriteStaging
    ) throws(PipelineError) {
        do throws(PipelineError) {
            try Self.writeAll(blocks, at: offset, fileDescriptor: fileDescriptor, fault: staging.writeFault)
        } catch .destinationFailed(operation: "pwrite", errno: EINVAL, detail: _) where !directRefused.load(ordering: .relaxed) {
            try Self.setFlags(fileDescriptor, flags)
            directRefused.store(true, ordering: .relaxed)
            // pwrite(2) writes at an offset: a partial direct write is simply written again.
            try Self.writeAll(blocks, at: offset, fileDescriptor: fileDescriptor, fault: staging.writeFault)
        }
    }

    /// pwrite(2) of all of `bytes` at `offset`, continuing after short writes, retrying EINTR;
    /// `fault` (a test's) may shorten or fail each call.
    private static func writeAll(
        _ bytes: UnsafeRawBufferPointer, at offset: off_t, fileDescriptor: Int32, fault: DirectWriteStaging.WriteFault? = nil
    ) throws(PipelineError) {
        var done = 0
        while done < bytes.count {
            let length = try fault?(offset + off_t(done), bytes.count - done) ?? bytes.count - done
            let (count, code) = retryingOnInterrupt { pwrite(fileDescriptor, bytes.baseAddress! + done, length, offset + off_t(done)) }
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
