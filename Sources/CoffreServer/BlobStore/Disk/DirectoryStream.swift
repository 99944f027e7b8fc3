import Glibc

/// One name read from a directory, byte for byte as readdir(3) returned it.
struct DirectoryEntry: SystemPath {
    /// The name's bytes followed by one NUL.
    let rawName: [CChar]

    /// The name as text, or nil when it is not valid UTF-8 (no name the store creates is).
    var name: String? {
        String(validating: rawName.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func withSystemPath<Result>(_ body: (UnsafePointer<CChar>) -> Result) -> Result {
        rawName.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// Owns one `DIR*` (opendir(3)) over a directory and reads its entries one at a time, so a
/// directory of any size costs constant memory. `.` and `..` are skipped.
///
/// The stream reads through its own descriptor, opened from `directory` with openat(2) on
/// ".", so its read position is its own; `directory` stays available for *at(2) calls on the
/// entries. Use one instance from one thread.
final class DirectoryStream {
    /// The directory being listed, for calls relative to it.
    let directory: FileDescriptor
    private let stream: OpaquePointer

    /// Starts listing `directory`.
    init(_ directory: FileDescriptor, operation: String) throws(BlobStoreError) {
        let (fd, openCode) = retryingOnInterrupt { openat(directory.raw, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw .system(operation, errno: openCode) }
        // fdopendir(3) takes ownership of fd on success only.
        guard let stream = fdopendir(fd) else {
            let code = errno
            _ = close(fd)
            throw .system(operation, errno: code)
        }
        self.directory = directory
        self.stream = stream
    }

    deinit {
        // closedir(3) also closes the descriptor fdopendir took over.
        _ = closedir(stream)
    }

    /// The next entry, or nil at the end. readdir(3) returns NULL both at the end and on
    /// error; only errno, cleared before the call, tells them apart.
    func next(operation: String) throws(BlobStoreError) -> DirectoryEntry? {
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                let code = errno
                if code != 0 { throw .system(operation, errno: code) }
                return nil
            }
            // d_name is a fixed array holding a NUL-terminated name (readdir(3)); search for
            // the NUL inside its bounds rather than trusting it.
            let rawName: [CChar] = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                return bytes.prefix(length).map { CChar(bitPattern: $0) } + [0]
            }
            if rawName == [46, 0] || rawName == [46, 46, 0] { continue }  // "." and ".."
            return DirectoryEntry(rawName: rawName)
        }
    }
}
