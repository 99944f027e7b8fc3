import Glibc
import Synchronization

/// A byte range of an open file, owned until the response using it is done (or dropped).
public final class HTTPFileRegion: Sendable {
    /// What keeps `descriptor` open until the region is closed.
    private enum Keeper {
        /// The region owns the descriptor and closes it.
        case descriptor
        /// `owner` keeps the descriptor open while it lives; the region holds it until closed.
        case owner(any Sendable)
    }

    /// The descriptor (open until `close()` or deinit).
    public let descriptor: Int32
    /// First byte to send.
    public let offset: Int64
    /// Number of bytes to send.
    public let length: Int64
    /// nil once closed (or handed over by `narrowed(to:)`).
    private let keeper: Mutex<Keeper?>

    private init(descriptor: Int32, offset: Int64, length: Int64, keeper: Keeper?) {
        self.descriptor = descriptor
        self.offset = max(0, offset)
        self.length = max(0, length)
        self.keeper = Mutex(keeper)
    }

    /// Takes ownership of `descriptor`, which must be open for reading.
    public convenience init(takingDescriptor descriptor: Int32, offset: Int64, length: Int64) {
        self.init(descriptor: descriptor, offset: offset, length: length, keeper: .descriptor)
    }

    /// Borrows `descriptor`, which `owner` keeps open for as long as it lives: the region holds
    /// `owner` until it is closed, and never closes the descriptor itself (no dup(2) and second
    /// close(2) per response).
    public convenience init(descriptor: Int32, offset: Int64, length: Int64, keptOpenBy owner: any Sendable) {
        self.init(descriptor: descriptor, offset: offset, length: length, keeper: .owner(owner))
    }

    /// Opens the regular file at `path` read-only; the region is the whole file.
    public static func open(path: String) throws(HTTPServerError) -> (region: HTTPFileRegion, status: stat) {
        let fd = SystemCall.retryingOnInterrupt { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemCall.error("open") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = SystemCall.error("fstat")
            SystemCall.close(fd)
            throw error
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            SystemCall.close(fd)
            throw .invalidState("not a regular file")
        }
        return (HTTPFileRegion(takingDescriptor: fd, offset: 0, length: Int64(info.st_size)), info)
    }

    /// The same file narrowed to `range` (relative to this region, clamped to it); the new
    /// region takes over the descriptor and this one no longer closes it.
    func narrowed(to range: ClosedRange<Int64>) -> HTTPFileRegion {
        let lower = min(max(0, range.lowerBound), length)
        let upper = min(range.upperBound, length - 1)
        let handedOver = keeper.withLock { keeper in
            defer { keeper = nil }
            return keeper
        }
        return HTTPFileRegion(descriptor: descriptor, offset: offset + lower, length: max(0, upper - lower + 1), keeper: handedOver)
    }

    /// Appends the region's bytes to `bytes` (pread(2), EINTR retried); false, with `bytes`
    /// as it was, when the file cannot be read whole (an error, or it shrank).
    func appendContents(to bytes: inout [UInt8]) -> Bool {
        let start = bytes.count
        let count = Int(length)
        bytes.append(contentsOf: repeatElement(0, count: count))
        let complete = bytes.withUnsafeMutableBytes { buffer -> Bool in
            var done = 0
            while done < count {
                let read = SystemCall.retryingOnInterrupt {
                    pread(descriptor, buffer.baseAddress! + start + done, count - done, off_t(offset) + off_t(done))
                }
                guard read > 0 else { return false }
                done += read
            }
            return true
        }
        if !complete { bytes.removeSubrange(start...) }
        return complete
    }

    /// Closes the descriptor, or lets its owner go. Idempotent, thread-safe.
    public func close() {
        let released = keeper.withLock { keeper in
            defer { keeper = nil }
            return keeper
        }
        if case .descriptor = released { SystemCall.close(descriptor) }
    }

    deinit { close() }
}
