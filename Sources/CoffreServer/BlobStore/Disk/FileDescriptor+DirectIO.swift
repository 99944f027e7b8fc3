import CSystemShims
import Glibc

/// Direct I/O on an upload file: writes that go from the caller's buffer to the device without
/// a copy in the page cache (open(2), "O_DIRECT").
extension FileDescriptor {
    /// Turns O_DIRECT on for this open file with fcntl(2) F_SETFL. Returns false, changing
    /// nothing, when the file system does not support it (EINVAL: fcntl(2) refuses the flag
    /// for a file whose mapping has no direct I/O), and throws for any other error.
    ///
    /// Set after the file is created rather than passed to openat(2): an openat with O_CREAT
    /// and O_DIRECT on such a file system creates the file and then fails.
    func enableDirectIO(operation: String) throws(BlobStoreError) -> Bool {
        try setDirectIO(true, operation: operation)
    }

    /// Turns O_DIRECT off again, so the rest of the file goes through the page cache.
    func disableDirectIO(operation: String) throws(BlobStoreError) {
        _ = try setDirectIO(false, operation: operation)
    }

    private func setDirectIO(_ on: Bool, operation: String) throws(BlobStoreError) -> Bool {
        let (flags, getCode) = retryingOnInterrupt { fcntl(raw, F_GETFL) }
        guard flags >= 0 else { throw .system(operation, errno: getCode) }
        let wanted = on ? flags | COFFRE_O_DIRECT : flags & ~COFFRE_O_DIRECT
        guard wanted != flags else { return true }
        let (result, code) = retryingOnInterrupt { fcntl(raw, F_SETFL, wanted) }
        if result == 0 { return true }
        if on && code == EINVAL { return false }
        throw .system(operation, errno: code)
    }

    /// Writes all of `bytes` at `offset` with pwrite(2), looping over short writes. Returns
    /// the errno of a failure instead of throwing when it is EINVAL, which is how direct I/O
    /// reports an alignment the device does not accept (open(2), "O_DIRECT"); `written` then
    /// tells how much went through.
    func writeAll(
        _ bytes: UnsafeRawBufferPointer, at offset: Int64, operation: String
    ) throws(BlobStoreError) -> (written: Int, refusedAlignment: Bool) {
        var done = 0
        while done < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[done...])
            let (written, code) = retryingOnInterrupt { pwrite(raw, rest.baseAddress, rest.count, off_t(offset) + off_t(done)) }
            if written < 0 && code == EINVAL { return (done, true) }
            guard written >= 0 else { throw .system(operation, errno: code) }
            guard written > 0 else { throw .io(operation: operation, detail: "write returned 0") }
            done += written
        }
        return (done, false)
    }
}
