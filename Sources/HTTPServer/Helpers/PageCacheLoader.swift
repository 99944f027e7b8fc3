import CSystemShims
import Glibc

/// Reads file regions into the page cache off the event loop, so that a loop thread never
/// waits for the disk inside sendfile(2) (or, over TLS, pread(2)).
///
/// sendfile(2) of a file whose pages are not in the page cache reads them from the disk in the
/// calling thread. On an event loop that stalls every other connection of the loop, and it
/// allows one disk read per loop at a time: a blob just written with `O_DIRECT` leaves nothing
/// in the cache, and device B's first download of a 1 GiB file kept each loop thread inside
/// sendfile for 1.25 s of 1.96 s (docs/http-server.md, "Files not in the page cache"). A route that sends
/// a file asks `isCached` first (one cachestat(2) call) and, when pages are missing, runs
/// `load` on the blocking-work queue (`HTTPBlockingWork`) before it answers.
///
/// `load` sends the bytes to /dev/null with sendfile(2): the kernel reads them into the page
/// cache with its usual readahead and copies nothing (/dev/null's splice_write only counts).
/// Where /dev/null cannot be opened, it reads them with pread(2) into a scratch buffer.
final class PageCacheLoader: Sendable {
    /// The loader of the process: /dev/null opened once, kept for the process's lifetime.
    static let shared = PageCacheLoader(nullDevice: PageCacheLoader.openNullDevice())

    /// /dev/null open for writing, or nil for the pread(2) fallback. Owned: closed in deinit.
    private let nullDevice: Int32?

    /// Bytes of the fallback's scratch buffer.
    static let scratchBytes = 256 << 10

    /// A loader sending to `nullDevice` (which it takes over), or reading with pread(2) when nil.
    init(nullDevice: Int32?) {
        self.nullDevice = nullDevice
    }

    deinit {
        if let nullDevice { SystemCall.close(nullDevice) }
    }

    private static func openNullDevice() -> Int32? {
        let descriptor = SystemCall.retryingOnInterrupt { open("/dev/null", O_WRONLY | O_CLOEXEC) }
        return descriptor >= 0 ? descriptor : nil
    }

    /// The system's page size, in bytes.
    private static let pageSize = Int64(sysconf(Int32(_SC_PAGESIZE)))

    /// Whether every page of `length` bytes from `offset` of the file open on `descriptor` is in
    /// the page cache, so that sending them will not wait for the disk. Asks cachestat(2)
    /// (Linux 6.5); where it is missing (ENOSYS, or refused by a seccomp filter), probes the
    /// first and last byte with preadv2(2)'s RWF_NOWAIT instead. Any other failure answers true:
    /// the send itself then meets the error and reports it, as it did before this check.
    func isCached(descriptor: Int32, offset: Int64, length: Int64) -> Bool {
        guard length > 0, offset >= 0 else { return true }
        var cached: UInt64 = 0
        if SystemCall.retryingOnInterrupt({ coffre_cachestat(descriptor, UInt64(offset), UInt64(length), &cached) }) == 0 {
            let first = offset / Self.pageSize
            let last = (offset + length - 1) / Self.pageSize
            return cached >= UInt64(last - first + 1)
        }
        return isCachedByProbes(descriptor: descriptor, offset: offset, length: length)
    }

    /// `isCached` without cachestat(2): whether the region's first and last byte are in the
    /// page cache (a region is read in order, so a cached tail mostly means a cached whole).
    func isCachedByProbes(descriptor: Int32, offset: Int64, length: Int64) -> Bool {
        guard length > 0, offset >= 0 else { return true }
        return probe(descriptor, at: offset) && probe(descriptor, at: offset + length - 1)
    }

    /// Whether the byte at `offset` is in the page cache (false only for RWF_NOWAIT's EAGAIN).
    private func probe(_ descriptor: Int32, at offset: Int64) -> Bool {
        SystemCall.retryingOnInterrupt({ coffre_pread_byte_nowait(descriptor, offset) }) >= 0 || errno != EAGAIN
    }

    /// Reads `length` bytes from `offset` of the file open on `descriptor` into the page cache
    /// and returns once they are all there. Blocking: for the blocking-work queue. A file that
    /// ends before `offset + length` stops the load early without an error (the send reports
    /// the short file); a read error is thrown.
    func load(descriptor: Int32, offset: Int64, length: Int64) throws(HTTPServerError) {
        guard length > 0, offset >= 0 else { return }
        let end = offset + length
        if let nullDevice {
            var position = off_t(offset)
            let end = off_t(end)
            while position < end {
                let sent = SystemCall.retryingOnInterrupt { coffre_sendfile(nullDevice, descriptor, &position, Int(end - position)) }
                guard sent >= 0 else { throw SystemCall.error("sendfile") }
                if sent == 0 { return }
            }
            return
        }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.scratchBytes, alignment: 16)
        defer { scratch.deallocate() }
        var position = offset
        while position < end {
            let wanted = Int(min(Int64(scratch.count), end - position))
            let got = SystemCall.retryingOnInterrupt { pread(descriptor, scratch.baseAddress, wanted, off_t(position)) }
            guard got >= 0 else { throw SystemCall.error("pread") }
            if got == 0 { return }
            position += Int64(got)
        }
    }
}
