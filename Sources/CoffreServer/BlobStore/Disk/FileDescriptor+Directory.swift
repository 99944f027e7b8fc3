import Glibc

/// The *at(2) calls, made relative to a directory descriptor so the store never builds
/// absolute paths and never follows a symbolic link in a name it did not create.
extension FileDescriptor {
    /// Opens a directory below this one (O_NOFOLLOW: a symbolic link is an error, not a way
    /// out of the store); nil when it does not exist.
    func openDirectory(_ path: some SystemPath, operation: String) throws(BlobStoreError) -> FileDescriptor? {
        try FileDescriptor.openIfPresent(
            path, relativeTo: self, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW, operation: operation)
    }

    /// mkdirat(2); true when it created the directory, false when it already existed.
    func makeDirectory(_ path: some SystemPath, mode: mode_t, operation: String) throws(BlobStoreError) -> Bool {
        let (result, code) = retryingOnInterrupt { path.withSystemPath { mkdirat(raw, $0, mode) } }
        if result == 0 { return true }
        if code == EEXIST { return false }
        throw .system(operation, errno: code)
    }

    /// fstatat(2) without following a final symbolic link; nil when the path does not exist.
    func status(of path: some SystemPath, operation: String) throws(BlobStoreError) -> stat? {
        var info = stat()
        let (result, code) = retryingOnInterrupt {
            path.withSystemPath { fstatat(raw, $0, &info, AT_SYMLINK_NOFOLLOW) }
        }
        if result == 0 { return info }
        if code == ENOENT || code == ENOTDIR { return nil }
        throw .system(operation, errno: code)
    }

    /// renameat(2) from this directory to `target` in `directory`; atomic, and it replaces an
    /// existing `target` (rename(2)). False when `source` does not exist.
    func rename(
        _ source: some SystemPath, to target: some SystemPath, in directory: FileDescriptor, operation: String
    ) throws(BlobStoreError) -> Bool {
        let (result, code) = retryingOnInterrupt {
            source.withSystemPath { from in target.withSystemPath { to in renameat(raw, from, directory.raw, to) } }
        }
        if result == 0 { return true }
        if code == ENOENT { return false }
        throw .system(operation, errno: code)
    }

    /// unlinkat(2) of a file, or of an empty directory when `directory` is true; false when
    /// there was nothing to remove.
    func removeEntry(_ path: some SystemPath, directory: Bool = false, operation: String) throws(BlobStoreError) -> Bool {
        let flags = directory ? AT_REMOVEDIR : 0
        let (result, code) = retryingOnInterrupt { path.withSystemPath { unlinkat(raw, $0, flags) } }
        if result == 0 { return true }
        if code == ENOENT { return false }
        throw .system(operation, errno: code)
    }

    /// Sets the access and modification times of `path` to now (utimensat(2) with a null
    /// times pointer), without following a symbolic link. False when `path` does not exist.
    func touch(_ path: some SystemPath, operation: String) throws(BlobStoreError) -> Bool {
        let (result, code) = retryingOnInterrupt {
            path.withSystemPath { utimensat(raw, $0, nil, AT_SYMLINK_NOFOLLOW) }
        }
        if result == 0 { return true }
        if code == ENOENT { return false }
        throw .system(operation, errno: code)
    }
}
