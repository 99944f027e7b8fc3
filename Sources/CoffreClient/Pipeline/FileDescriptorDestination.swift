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
/// A regular file's disk writes start while the rest is still being fetched and opened: every
/// `writebackInterval` bytes, the range written since the last start goes to sync_file_range(2)
/// with SYNC_FILE_RANGE_WRITE. On a machine with gigabytes of RAM the kernel would otherwise
/// keep a whole large download dirty until the caller's fsync, which then waits for all of it.
/// A head start only: the caller's fsync stays the durability guarantee.
final class FileDescriptorDestination: Sendable {
    /// Bytes written between two writeback starts.
    static let writebackInterval = 4 << 20

    let fileDescriptor: Int32
    /// The offset at the start, for a regular file (the only kind that can be cut back).
    let start: off_t?
    /// Bytes written so far, by the writer thread; read after the run has drained, which the
    /// pipeline's lock orders after the last write, so relaxed ordering is enough.
    private let written = Atomic<Int>(0)
    /// Bytes (from `start`) whose writeback has been started; the writer thread's alone.
    private let writebackStarted = Atomic<Int>(0)

    /// Notes whether `fileDescriptor` is a regular file and, if so, its current offset.
    init(fileDescriptor: Int32) throws(PipelineError) {
        self.fileDescriptor = fileDescriptor
        var info = stat()
        guard fstat(fileDescriptor, &info) == 0 else { throw Self.failure("fstat") }
        if info.st_mode & S_IFMT == S_IFREG {
            let offset = lseek(fileDescriptor, 0, SEEK_CUR)
            guard offset >= 0 else { throw Self.failure("lseek") }
            start = offset
        } else {
            start = nil
        }
    }

    /// Writes all of `bytes`, continuing after short writes and retrying EINTR (write(2)).
    func write(_ bytes: UnsafeRawBufferPointer) throws(PipelineError) {
        var offset = 0
        while offset < bytes.count {
            #if canImport(Glibc)
            let written = Glibc.write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
            #else
            let written = Darwin.write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
            #endif
            if written > 0 {
                offset += written
                self.written.add(written, ordering: .relaxed)
            } else if written < 0 {
                // write(2): EINTR means a signal came before anything was written; retry.
                if errno == EINTR { continue }
                throw Self.failure("write")
            } else {
                throw PipelineError.destinationFailed(operation: "write", errno: 0, detail: "no progress")
            }
        }
        try startWriteback()
    }

    /// Starts the disk writes of what was written since the last start, once that reaches
    /// `writebackInterval`; regular files only.
    private func startWriteback() throws(PipelineError) {
        #if canImport(Glibc)
        guard let start else { return }
        let total = written.load(ordering: .relaxed)
        let from = writebackStarted.load(ordering: .relaxed)
        guard total - from >= Self.writebackInterval else { return }
        // sync_file_range(2): "initiate write-out of all dirty pages in the specified range"; EINTR: retry.
        while coffre_sync_file_range(fileDescriptor, Int64(start) + Int64(from), Int64(total - from), COFFRE_SYNC_FILE_RANGE_WRITE) != 0 {
            if errno != EINTR { throw Self.failure("sync_file_range") }
        }
        writebackStarted.store(total, ordering: .relaxed)
        #endif
    }

    /// Cuts a regular file back to its starting length and offset, if anything was written;
    /// does nothing for other kinds of file.
    func rollBack() throws(PipelineError) {
        guard let start, written.load(ordering: .relaxed) > 0 else { return }
        // ftruncate(2) may be interrupted (EINTR) before it changes anything; retry.
        while ftruncate(fileDescriptor, start) != 0 {
            if errno != EINTR { throw Self.failure("ftruncate") }
        }
        guard lseek(fileDescriptor, start, SEEK_SET) >= 0 else { throw Self.failure("lseek") }
    }

    private static func failure(_ operation: String) -> PipelineError {
        let code = errno
        // strerror is thread-safe for known errno values in glibc ≥ 2.32; the text never names the file.
        return .destinationFailed(operation: operation, errno: code, detail: String(cString: strerror(code)))
    }
}
