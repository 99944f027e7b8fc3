import Glibc

/// Reads one file for upload and tells, at the end, whether the bytes read are a consistent
/// snapshot: nothing wrote to, truncated, replaced or renamed the file while it was read. A
/// file that changed must be retried later, never uploaded half-written (DESIGN §8).
///
/// The file is opened with O_NOFOLLOW through folders opened with O_NOFOLLOW (so a symlink
/// cannot redirect the read), and fstat(2) is recorded. `finish()` compares a new fstat
/// (size, mtime, ctime, inode) with it, checks that exactly `size` bytes were read, and
/// lstat(2)s the path again from the root to see that it still names the same inode.
/// Use one reader from one thread; it owns its descriptor.
public final class StableFileReader {
    /// The path being read.
    public let path: LocalPath
    /// fstat(2) of the opened file before the first byte was read.
    public let metadataBeforeReading: FileMetadata
    /// Bytes returned so far.
    public private(set) var bytesRead: Int64 = 0
    private let root: SyncRoot
    private let file: LocalFileDescriptor

    /// Opens the regular file at `path` under `root`. Throws `.notFound` when it is gone and
    /// `.wrongKind` when it is not a regular file (a symlink, a folder, a FIFO...).
    public init(root: SyncRoot, path: LocalPath) throws(LocalFSError) {
        let parent = try root.openParent(of: path)
        // O_NONBLOCK keeps open(2) of a FIFO from waiting for a writer; it changes nothing for
        // a regular file (open(2): "O_NONBLOCK ... has no effect for regular files").
        let opened = String(path.name).withCString {
            LocalFileDescriptor.open($0, in: parent.raw, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        }
        switch opened {
        case .success(let descriptor):
            file = descriptor
        case .failure(let error) where error.code == ENOENT:
            throw .notFound
        case .failure(let error) where error.code == ELOOP:
            throw .wrongKind(expected: "a regular file")  // open(2): O_NOFOLLOW on a symlink
        case .failure(let error):
            throw .system(operation: "open a file for reading", code: error.code)
        }
        let info = try file.status(operation: "stat a file opened for reading")
        guard info.fileType == S_IFREG else { throw .wrongKind(expected: "a regular file") }
        self.root = root
        self.path = path
        self.metadataBeforeReading = FileMetadata(info)
    }

    /// Reads the next bytes into `buffer`; returns how many, 0 at the end of the file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LocalFSError) -> Int {
        let count = try file.read(into: buffer, operation: "read a file")
        bytesRead += Int64(count)
        return count
    }

    /// Reads up to `maximumCount` bytes; an empty array at the end of the file.
    public func read(upTo maximumCount: Int) throws(LocalFSError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(0, maximumCount))
        let count = try bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(LocalFSError) in try read(into: buffer) }
        }.get()
        bytes.removeSubrange(count...)
        return bytes
    }

    /// Decides whether what was read is a stable snapshot of the file. Call it after `read`
    /// returned 0. `.changedWhileReading` when the size, mtime, ctime or inode moved, when the
    /// bytes read differ from the size seen at open (appended or truncated meanwhile), or when
    /// the path now names another entry or nothing.
    public func finish() throws(LocalFSError) -> StableReadResult {
        let after = FileMetadata(try file.status(operation: "stat a file after reading"))
        let before = metadataBeforeReading
        guard after == before, bytesRead == before.size else { return .changedWhileReading }
        guard let (type, current) = try root.metadata(of: path), type == .file,
            current.inode == before.inode, current.device == before.device
        else { return .changedWhileReading }
        return .stable(after)
    }
}

/// The verdict of `StableFileReader.finish()`.
public enum StableReadResult: Sendable, Equatable {
    /// The bytes read are the file's content as described by this metadata.
    case stable(FileMetadata)
    /// The file changed while it was read; retry later.
    case changedWhileReading
}
