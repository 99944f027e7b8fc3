import Glibc

/// One upload in progress: a new, uniquely named file in the upload directory, written with
/// write(2) and renamed to its final name once the whole body has arrived — what nginx's DAV
/// PUT does with its client_body_temp_path file. Like nginx, no fsync: the bytes reach the page
/// cache, not necessarily the disk, when the response is sent.
///
/// The handler calls `write` on its connection's event-loop thread. A write(2) into the page
/// cache is a memory copy (nginx's worker does the same on its event loop); an fsync would not
/// be, and would have to go through `HTTPBlockingWork.run`.
final class UploadFile {
    private var descriptor: Int32
    private let temporaryPath: String
    private var isCommitted = false

    /// Creates `.upload-XXXXXX` (mkstemp(3): O_EXCL, mode 0600) in `directory`. (Not
    /// close-on-exec: mkostemp is hidden behind _GNU_SOURCE, and this process never execs.)
    init(directory: String) throws(HTTPBenchError) {
        var template = Array("\(directory)/.upload-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard made >= 0 else { throw .lastSystemError("mkstemp") }
        descriptor = made
        temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit {
        if descriptor >= 0 { _ = close(descriptor) }
        if !isCommitted { _ = unlink(temporaryPath) }
    }

    /// Appends `bytes`, retrying short writes and EINTR (write(2)).
    func write(_ bytes: [UInt8]) throws(HTTPBenchError) {
        guard descriptor >= 0 else { throw .system(call: "write", code: EBADF) }
        var result: Result<Void, HTTPBenchError> = .success(())
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    result = .failure(.lastSystemError("write"))
                    return
                }
                offset += written
            }
        }
        try result.get()
    }

    /// Closes the file and renames it to `path`, replacing any file there (rename(2) is atomic
    /// within one file system, so a reader sees the old or the new file, never a partial one).
    func commit(as path: String) throws(HTTPBenchError) {
        guard descriptor >= 0 else { throw .system(call: "close", code: EBADF) }
        let closing = descriptor
        descriptor = -1
        // close(2): a delayed write error may only show here; EINTR is not retried on Linux,
        // where the descriptor is released anyway.
        guard close(closing) == 0 else { throw .lastSystemError("close") }
        guard rename(temporaryPath, path) == 0 else { throw .lastSystemError("rename") }
        isCommitted = true
    }
}
