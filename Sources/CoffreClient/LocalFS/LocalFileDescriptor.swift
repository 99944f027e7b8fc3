import CSystemShims
import Glibc

/// Owns one open file descriptor of the local tree (a folder being listed, a file being read,
/// a temp file being written) and closes it when released.
///
/// Every call checks its return code right away and throws `LocalFSError` carrying errno;
/// calls that can be interrupted are retried on EINTR. The descriptor number is immutable and
/// the kernel serializes the calls made on it, so instances are Sendable.
final class LocalFileDescriptor: Sendable {
    /// The descriptor number, valid while this instance lives.
    let raw: Int32

    /// Takes ownership of an open descriptor.
    init(adopting raw: Int32) {
        self.raw = raw
    }

    deinit {
        // close(2): on Linux the descriptor is released even when close reports EINTR, so it is
        // never retried (a retry could close a descriptor another thread just opened).
        let result = close(raw)
        // EBADF: closed twice somewhere, which can close another thread's descriptor.
        assert(result == 0 || errno != EBADF, "close(2) of a descriptor that is not open: a double close")
    }

    /// openat(2) of `name` relative to `directory` with O_CLOEXEC added; the errno on failure.
    static func open(
        _ name: UnsafePointer<CChar>, in directory: Int32, flags: Int32, mode: mode_t = 0
    ) -> Result<LocalFileDescriptor, Errno> {
        let (fd, code) = retryingOnInterrupt { openat(directory, name, flags | O_CLOEXEC, mode) }
        guard fd >= 0 else { return .failure(Errno(code)) }
        return .success(LocalFileDescriptor(adopting: fd))
    }

    /// Opens a child folder without following a symlink (O_NOFOLLOW | O_DIRECTORY).
    static func openFolder(_ name: UnsafePointer<CChar>, in directory: Int32) -> Result<LocalFileDescriptor, Errno> {
        open(name, in: directory, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
    }

    /// fstat(2) of this descriptor.
    func status(operation: String) throws(LocalFSError) -> stat {
        var info = stat()
        let (result, code) = retryingOnInterrupt { fstat(raw, &info) }
        guard result == 0 else { throw .system(operation: operation, code: code) }
        return info
    }

    /// fstatat(2) of a child with AT_SYMLINK_NOFOLLOW: the entry itself, never a link's target.
    func statusOfChild(_ name: UnsafePointer<CChar>) -> Result<stat, Errno> {
        var info = stat()
        let (result, code) = retryingOnInterrupt { fstatat(raw, name, &info, AT_SYMLINK_NOFOLLOW) }
        guard result == 0 else { return .failure(Errno(code)) }
        return .success(info)
    }

    /// readlinkat(2) of a child symlink: the target's bytes, or `nil` when it is longer than
    /// `limit` bytes (readlink truncates silently, so a full buffer means "too long").
    func linkTarget(of name: UnsafePointer<CChar>, limit: Int) -> Result<[UInt8]?, Errno> {
        var buffer = [UInt8](repeating: 0, count: limit + 1)
        let (count, code) = buffer.withUnsafeMutableBytes { bytes in
            retryingOnInterrupt { readlinkat(raw, name, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count) }
        }
        guard count >= 0 else { return .failure(Errno(code)) }
        guard count <= limit else { return .success(nil) }
        buffer.removeSubrange(count...)
        return .success(buffer)
    }

    /// One read(2) at the current position into `buffer`; 0 means end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer, operation: String) throws(LocalFSError) -> Int {
        guard buffer.count > 0 else { return 0 }
        let (count, code) = retryingOnInterrupt { Glibc.read(raw, buffer.baseAddress, buffer.count) }
        guard count >= 0 else { throw .system(operation: operation, code: code) }
        return count
    }

    /// Writes all of `bytes`, looping over short writes (write(2) may write less than asked).
    func writeAll(_ bytes: UnsafeRawBufferPointer, operation: String) throws(LocalFSError) {
        var done = 0
        while done < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[done...])
            let (written, code) = retryingOnInterrupt { write(raw, rest.baseAddress, rest.count) }
            guard written >= 0 else { throw .system(operation: operation, code: code) }
            // A regular file never accepts 0 bytes of a non-empty write without an error.
            guard written > 0 else { throw .system(operation: operation, code: EIO) }
            done += written
        }
    }

    /// fsync(2): data and metadata of this file or folder reach stable storage.
    func sync(operation: String) throws(LocalFSError) {
        let (result, code) = retryingOnInterrupt { fsync(raw) }
        guard result == 0 else { throw .system(operation: operation, code: code) }
    }

    /// syncfs(2): every dirty file and folder of this descriptor's file system reaches stable
    /// storage. sync(2), NOTES: "Linux waits for I/O completions, and thus sync() or syncfs()
    /// provide the same guarantees as fsync() called on every file in the system or filesystem
    /// respectively"; since Linux 5.8 it also reports writeback errors (syncfs(2)).
    func syncFileSystem(operation: String) throws(LocalFSError) {
        let (result, code) = retryingOnInterrupt { coffre_syncfs(raw) }
        guard result == 0 else { throw .system(operation: operation, code: code) }
    }
}

/// An errno value returned by a call whose failure the caller turns into a per-entry outcome
/// rather than an error.
struct Errno: Error, Equatable {
    /// The errno value.
    let code: Int32

    init(_ code: Int32) {
        self.code = code
    }
}

/// Runs a system call until it does not fail with EINTR; returns its result and the errno read
/// right after it (meaningful only when the result says failure).
func retryingOnInterrupt<Result: BinaryInteger>(_ call: () -> Result) -> (Result, Int32) {
    while true {
        let result = call()
        let code = errno
        if result < 0 && code == EINTR { continue }
        return (result, code)
    }
}
