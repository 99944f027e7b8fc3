import CSystemShims
import CoffreProtocol
import Glibc

/// The changes the sync makes to the folder besides placing downloaded files: folders,
/// symlinks, moves, removals, mode and mtime. Every call works from the root's descriptor one
/// component at a time without following symlinks (`SyncRoot.openParent`), so no path can
/// lead outside the folder, and each checks that what it changes is what the caller expects.
struct LocalTreeEditor: Sendable {
    /// How a creation or move went.
    enum Outcome: Sendable, Equatable {
        /// Done; the entry's metadata afterwards.
        case done(FileMetadata)
        /// Something is already at the destination (nothing was replaced).
        case occupied
        /// The source or the destination's folder is gone.
        case missing
    }

    /// How a removal went.
    enum Removal: Sendable, Equatable {
        case removed
        /// The entry is not what was expected any more (edited meanwhile): left alone.
        case changed
        /// A folder still holds entries (not synced ones, or new ones).
        case notEmpty
        /// Already gone.
        case gone
    }

    let root: SyncRoot

    /// mkdirat(2) with `mode` (the permission bits only).
    func makeFolder(_ path: LocalPath, mode: UInt32) throws(LocalFSError) -> Outcome {
        guard let parent = try openParent(of: path) else { return .missing }
        let (result, code) = String(path.name).withCString { name in
            retryingOnInterrupt { mkdirat(parent.raw, name, mode_t(mode & 0o777)) }
        }
        if result != 0 {
            if code == EEXIST { return .occupied }
            throw .system(operation: "create a folder", code: code)
        }
        return try metadataAfter(path, operation: "stat a new folder")
    }

    /// symlinkat(2), then its own mtime (utimensat(2) with AT_SYMLINK_NOFOLLOW); the target
    /// is stored text and never resolved.
    func makeSymlink(_ path: LocalPath, target: String, modificationTime: Int64) throws(LocalFSError) -> Outcome {
        guard let parent = try openParent(of: path) else { return .missing }
        let name = String(path.name)
        let (result, code) = target.withCString { target in
            name.withCString { name in retryingOnInterrupt { symlinkat(target, parent.raw, name) } }
        }
        if result != 0 {
            if code == EEXIST { return .occupied }
            throw .system(operation: "create a symlink", code: code)
        }
        try setTime(of: name, in: parent, modificationTime: modificationTime)
        return try metadataAfter(path, operation: "stat a new symlink")
    }

    /// Renames `from` to `to` (both under the root) unless something is at `to`: renameat2(2)
    /// with RENAME_NOREPLACE, one atomic step.
    func move(_ from: LocalPath, to: LocalPath) throws(LocalFSError) -> Outcome {
        guard let source = try openParent(of: from), let destination = try openParent(of: to) else { return .missing }
        let (result, code) = String(from.name).withCString { old in
            String(to.name).withCString { new in
                retryingOnInterrupt { coffre_rename_noreplace(source.raw, old, destination.raw, new) }
            }
        }
        if result != 0 {
            switch code {
            case EEXIST: return .occupied
            case ENOENT: return .missing
            default: throw .system(operation: "move an entry", code: code)
            }
        }
        // rename(2) makes no promise about durability; the folder fsyncs below keep the new name.
        try destination.sync(operation: "fsync a folder after a move")
        if source.raw != destination.raw { try source.sync(operation: "fsync a folder after a move") }
        return try metadataAfter(to, operation: "stat a moved entry")
    }

    /// Removes the entry at `path` if it is still what `expected` says (kind, inode; for a
    /// file also size and mtime). A folder goes only when empty (unlinkat(2) AT_REMOVEDIR).
    func remove(_ path: LocalPath, kind: EntryKind, expected: FileMetadata) throws(LocalFSError) -> Removal {
        guard let parent = try openParent(of: path) else { return .gone }
        let name = String(path.name)
        guard case .success(let info) = name.withCString({ parent.statusOfChild($0) }) else { return .gone }
        let current = FileMetadata(info)
        let sameEntry = current.inode == expected.inode && current.device == expected.device
            && EntryType(info).syncKind == kind
            && (kind != .file || current.hasSameIdentityAndContent(as: expected))
        guard sameEntry else { return .changed }
        let flags = kind == .folder ? AT_REMOVEDIR : 0
        let (result, code) = name.withCString { name in retryingOnInterrupt { unlinkat(parent.raw, name, flags) } }
        if result != 0 {
            switch code {
            case ENOTEMPTY, EEXIST: return .notEmpty
            case ENOENT: return .gone
            default: throw .system(operation: "remove an entry", code: code)
            }
        }
        try parent.sync(operation: "fsync a folder after a removal")
        return .removed
    }

    /// Sets a file's permission bits (0o777 only) and mtime if it is still the expected file;
    /// its metadata afterwards, or nil when it changed meanwhile.
    func setAttributes(_ path: LocalPath, mode: UInt32, modificationTime: Int64, expected: FileMetadata) throws(LocalFSError) -> FileMetadata? {
        guard let parent = try openParent(of: path) else { return nil }
        let name = String(path.name)
        guard case .success(let info) = name.withCString({ parent.statusOfChild($0) }), EntryType(info) == .file,
            FileMetadata(info).hasSameIdentityAndContent(as: expected)
        else { return nil }
        // fchmodat(2): flags 0 (AT_SYMLINK_NOFOLLOW is not supported on Linux); the entry was
        // just checked to be a regular file.
        let (result, code) = name.withCString { name in retryingOnInterrupt { fchmodat(parent.raw, name, mode_t(mode & 0o777), 0) } }
        guard result == 0 else { throw .system(operation: "change a file's mode", code: code) }
        try setTime(of: name, in: parent, modificationTime: modificationTime)
        guard case .done(let metadata) = try metadataAfter(path, operation: "stat a changed file") else { return nil }
        return metadata
    }

    /// Removes a temp file the sync left behind (a crash between writing and placing).
    func removeTemporaryFile(_ path: LocalPath) throws(LocalFSError) {
        guard ReservedNames.kind(of: path.name.utf8) == .syncTemporaryFile, let parent = try openParent(of: path) else { return }
        let (result, code) = String(path.name).withCString { name in retryingOnInterrupt { unlinkat(parent.raw, name, 0) } }
        guard result == 0 || code == ENOENT else { throw .system(operation: "remove a leftover temp file", code: code) }
    }

    /// lstat of `path`: its kind and metadata, or nil when nothing is there.
    func metadata(of path: LocalPath) throws(LocalFSError) -> (kind: EntryType, metadata: FileMetadata)? {
        try root.metadata(of: path)
    }

    // MARK: Helpers

    /// The folder holding `path`, or nil when a folder on the way is missing or not a folder.
    private func openParent(of path: LocalPath) throws(LocalFSError) -> LocalFileDescriptor? {
        do {
            return try root.openParent(of: path)
        } catch .notFound {
            return nil
        } catch .wrongKind {
            return nil
        }
    }

    /// utimensat(2) with AT_SYMLINK_NOFOLLOW: the entry's own mtime, the access time left alone.
    private func setTime(of name: String, in parent: LocalFileDescriptor, modificationTime: Int64) throws(LocalFSError) {
        var times = [timespec(tv_sec: 0, tv_nsec: COFFRE_UTIME_OMIT), FileMetadata.timespec(nanoseconds: modificationTime)]
        let (result, code) = name.withCString { name in
            retryingOnInterrupt { utimensat(parent.raw, name, &times, AT_SYMLINK_NOFOLLOW) }
        }
        guard result == 0 else { throw .system(operation: "set an mtime", code: code) }
    }

    private func metadataAfter(_ path: LocalPath, operation: String) throws(LocalFSError) -> Outcome {
        guard let (_, metadata) = try root.metadata(of: path) else { return .missing }
        return .done(metadata)
    }
}

extension EntryType {
    /// The wire kind of an lstat result; nil for kinds the sync does not carry.
    var syncKind: EntryKind? {
        switch self {
        case .file: return .file
        case .folder: return .folder
        case .symlink: return .symlink
        case .unsupported: return nil
        }
    }
}
