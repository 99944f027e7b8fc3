import Glibc

/// A synced folder on disk: owns a descriptor on the root folder, and resolves relative paths
/// beneath it one component at a time with O_NOFOLLOW, so that no path — even one that came
/// from the server — can lead outside the root through `..` or a symlinked folder.
///
/// The root path itself may be a symlink to a folder (users often link their sync folder);
/// it is resolved once, when the root is opened. Sendable: it holds only immutable values and
/// a descriptor (see `LocalFileDescriptor`).
public final class SyncRoot: Sendable {
    /// The root path as given.
    public let path: String
    /// The device of the root's file system (st_dev): scans stay on it by default.
    public let device: UInt64
    let descriptor: LocalFileDescriptor

    /// Opens the folder at `path` (absolute, or relative to the working directory).
    public init(path: String) throws(LocalFSError) {
        let opened = path.withCString { LocalFileDescriptor.open($0, in: AT_FDCWD, flags: O_RDONLY | O_DIRECTORY) }
        switch opened {
        case .success(let descriptor):
            self.descriptor = descriptor
        case .failure(let error) where error.code == ENOENT:
            throw .notFound
        case .failure(let error) where error.code == ENOTDIR:
            throw .wrongKind(expected: "a folder")
        case .failure(let error):
            throw .system(operation: "open the sync root", code: error.code)
        }
        self.path = path
        self.device = UInt64(try descriptor.status(operation: "stat the sync root").st_dev)
    }

    /// lstat(2) of the entry at `path`: its metadata and kind, or nil when it does not exist.
    public func metadata(of path: LocalPath) throws(LocalFSError) -> (kind: EntryType, metadata: FileMetadata)? {
        let parent: LocalFileDescriptor
        do {
            parent = try openParent(of: path)
        } catch .notFound {
            return nil
        }
        let result = String(path.name).withCString { parent.statusOfChild($0) }
        switch result {
        case .success(let info):
            return (EntryType(info), FileMetadata(info))
        case .failure(let error) where error.code == ENOENT || error.code == ENOTDIR:
            return nil
        case .failure(let error):
            throw .system(operation: "lstat an entry", code: error.code)
        }
    }

    /// Opens the folder holding `path`, walking from the root with O_NOFOLLOW | O_DIRECTORY on
    /// each component. Throws `.notFound` when a folder on the way is missing and
    /// `.wrongKind` when one is not a folder (a symlink included).
    func openParent(of path: LocalPath) throws(LocalFSError) -> LocalFileDescriptor {
        var current = descriptor
        for component in path.components.dropLast() {
            let opened = String(component).withCString { LocalFileDescriptor.openFolder($0, in: current.raw) }
            switch opened {
            case .success(let next):
                current = next
            case .failure(let error) where error.code == ENOENT:
                throw .notFound
            case .failure(let error) where error.code == ENOTDIR || error.code == ELOOP:
                throw .wrongKind(expected: "a folder on the path")
            case .failure(let error):
                throw .system(operation: "open a folder on the path", code: error.code)
            }
        }
        return current
    }
}

/// The kind of an entry as lstat(2) reports it.
public enum EntryType: Sendable, Equatable {
    /// A regular file.
    case file
    /// A folder.
    case folder
    /// A symbolic link.
    case symlink
    /// Anything else (FIFO, socket, device).
    case unsupported(UnsupportedKind)

    init(_ info: stat) {
        switch info.fileType {
        case S_IFREG: self = .file
        case S_IFDIR: self = .folder
        case S_IFLNK: self = .symlink
        case S_IFIFO: self = .unsupported(.fifo)
        case S_IFSOCK: self = .unsupported(.socket)
        case S_IFCHR: self = .unsupported(.characterDevice)
        case S_IFBLK: self = .unsupported(.blockDevice)
        default: self = .unsupported(.unknown)
        }
    }
}
