import CSystemShims
import Glibc

/// Owns one open file descriptor (a blob file, a temp file, a directory or the lock file) and
/// closes it when released.
///
/// Every call checks its return code right away and throws `BlobStoreError` with the errno
/// text; calls that can be interrupted are retried on EINTR. The descriptor itself is
/// immutable and the kernel serializes the calls made on it, so instances are Sendable.
final class FileDescriptor: Sendable {
    /// The descriptor number, valid while this instance lives.
    let raw: Int32

    private init(raw: Int32) {
        self.raw = raw
    }

    deinit {
        // close(2): on Linux the descriptor is released even when close reports EINTR, so it
        // is never retried (a retry could close a descriptor another thread just opened).
        let result = close(raw)
        // EBADF: closed twice somewhere, which can close another thread's descriptor.
        assert(result == 0 || errno != EBADF, "close(2) of a descriptor that is not open: a double close")
    }

    /// openat(2) of `path` relative to `directory` (or the working directory), with
    /// O_CLOEXEC always added. Returns nil for ENOENT (and ENOTDIR, a missing parent) when
    /// `missingIsNil`, throws otherwise.
    static func open(
        _ path: some SystemPath, relativeTo directory: FileDescriptor?, flags: Int32, mode: mode_t = 0,
        operation: String
    ) throws(BlobStoreError) -> FileDescriptor {
        guard let descriptor = try openIfPresent(path, relativeTo: directory, flags: flags, mode: mode, operation: operation) else {
            throw .notFound
        }
        return descriptor
    }

    /// Like `open`, but nil when the path (or one of its parents) does not exist.
    static func openIfPresent(
        _ path: some SystemPath, relativeTo directory: FileDescriptor?, flags: Int32, mode: mode_t = 0,
        operation: String
    ) throws(BlobStoreError) -> FileDescriptor? {
        let base = directory?.raw ?? AT_FDCWD
        let (fd, code) = retryingOnInterrupt {
            path.withSystemPath { openat(base, $0, flags | O_CLOEXEC, mode) }
        }
        if fd >= 0 { return FileDescriptor(raw: fd) }
        if code == ENOENT || code == ENOTDIR { return nil }
        throw .system(operation, errno: code)
    }

    /// Writes all of `bytes`, looping over short writes (write(2) may write less than asked).
    func writeAll(_ bytes: UnsafeRawBufferPointer, operation: String) throws(BlobStoreError) {
        var done = 0
        while done < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[done...])
            let (written, code) = retryingOnInterrupt { write(raw, rest.baseAddress, rest.count) }
            guard written >= 0 else { throw .system(operation, errno: code) }
            // A regular file never accepts 0 bytes of a non-empty write without an error;
            // treat it as one rather than spin.
            guard written > 0 else { throw .io(operation: operation, detail: "write returned 0") }
            done += written
        }
    }

    /// One pread(2) of up to `buffer.count` bytes at `offset`; 0 means end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, operation: String) throws(BlobStoreError) -> Int {
        guard buffer.count > 0 else { return 0 }
        let (got, code) = retryingOnInterrupt { pread(raw, buffer.baseAddress, buffer.count, off_t(offset)) }
        guard got >= 0 else { throw .system(operation, errno: code) }
        return got
    }

    /// fsync(2): data and metadata of this file or directory reach stable storage.
    func sync(operation: String) throws(BlobStoreError) {
        let (result, code) = retryingOnInterrupt { fsync(raw) }
        guard result == 0 else { throw .system(operation, errno: code) }
    }

    /// syncfs(2): every dirty file and directory of this descriptor's file system reaches
    /// stable storage. sync(2), NOTES: "Linux waits for I/O completions, and thus sync() or
    /// syncfs() provide the same guarantees as fsync() called on every file in the system or
    /// filesystem respectively"; since Linux 5.8 it also reports writeback errors (syncfs(2)).
    func syncFileSystem(operation: String) throws(BlobStoreError) {
        let (result, code) = retryingOnInterrupt { coffre_syncfs(raw) }
        guard result == 0 else { throw .system(operation, errno: code) }
    }

    /// sync_file_range(2) with SYNC_FILE_RANGE_WRITE: starts writeback of the dirty pages in
    /// `count` bytes from `offset` and returns without waiting for it. Not a durability
    /// guarantee (the man page: it writes no metadata and flushes no disk cache); it only
    /// leaves less for a later fsync to wait for.
    func startWriteback(offset: Int64, count: Int64, operation: String) throws(BlobStoreError) {
        let (result, code) = retryingOnInterrupt { coffre_sync_file_range(raw, offset, count, COFFRE_SYNC_FILE_RANGE_WRITE) }
        guard result == 0 else { throw .system(operation, errno: code) }
    }

    /// fstat(2) of this descriptor.
    func status(operation: String) throws(BlobStoreError) -> stat {
        var info = stat()
        guard fstat(raw, &info) == 0 else { throw .system(operation, errno: errno) }
        return info
    }

    /// Bytes available to unprivileged users on this descriptor's file system: f_bavail ×
    /// f_frsize from fstatvfs(3), saturating instead of overflowing.
    func availableBytes() throws(BlobStoreError) -> UInt64 {
        var info = statvfs()
        let (result, code) = retryingOnInterrupt { fstatvfs(raw, &info) }
        guard result == 0 else { throw .system("statvfs", errno: code) }
        let (product, overflow) = UInt64(info.f_bavail).multipliedReportingOverflow(by: UInt64(info.f_frsize))
        return overflow ? .max : product
    }

    /// Takes an exclusive flock(2) without waiting; false when another open file
    /// description holds it (EWOULDBLOCK). Released when the descriptor is closed.
    func lockExclusively() throws(BlobStoreError) -> Bool {
        let (result, code) = retryingOnInterrupt { flock(raw, LOCK_EX | LOCK_NB) }
        if result == 0 { return true }
        if code == EWOULDBLOCK { return false }
        throw .system("lock the blob store", errno: code)
    }
}

/// Runs a system call until it does not fail with EINTR; returns its result and the errno
/// read right after it (meaningful only when the result says failure).
func retryingOnInterrupt<Result: BinaryInteger>(_ call: () -> Result) -> (Result, Int32) {
    while true {
        let result = call()
        let code = errno
        if result < 0 && code == EINTR { continue }
        return (result, code)
    }
}
