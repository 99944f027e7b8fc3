import Glibc

/// The sync folder's own state folder, `<root>/.coffre` (`ReservedNames.stateFolder`, never
/// synced): created with mode 0700, opened without following a symlink, and held under an
/// exclusive flock(2) on `.coffre/lock` for the life of this object, so two engines — in this
/// process or another — never work on one folder and one index at once.
final class SyncStateFolder: Sendable {
    /// The state folder as `/proc/self/fd/N` of the descriptor opened here, so files opened
    /// by path (the SQLite index) are in exactly the folder checked, whatever happens to the
    /// path meanwhile.
    let path: String
    private let folder: LocalFileDescriptor
    /// Held open for its lock only; closing it (on release) releases the folder.
    private let lock: LocalFileDescriptor

    /// Creates `.coffre` under `root` if needed and takes its lock; `.folderBusy` when another
    /// engine holds it.
    init(root: SyncRoot) throws(SyncClientError) {
        let name = ReservedNames.stateFolder
        // mkdirat(2): EEXIST is fine — the open below checks it is a real folder.
        let (made, makeCode) = name.withCString { name in retryingOnInterrupt { mkdirat(root.descriptor.raw, name, 0o700) } }
        guard made == 0 || makeCode == EEXIST else {
            throw .localFileSystem(operation: "create the state folder", underlying: .system(operation: "mkdirat", code: makeCode))
        }
        let folder: LocalFileDescriptor
        switch name.withCString({ LocalFileDescriptor.openFolder($0, in: root.descriptor.raw) }) {
        case .success(let opened): folder = opened
        case .failure(let error):
            throw .localFileSystem(operation: "open the state folder", underlying: .system(operation: "openat", code: error.code))
        }
        let opened = "lock".withCString {
            LocalFileDescriptor.open($0, in: folder.raw, flags: O_RDWR | O_CREAT | O_NOFOLLOW, mode: 0o600)
        }
        let lock: LocalFileDescriptor
        switch opened {
        case .success(let descriptor): lock = descriptor
        case .failure(let error):
            throw .localFileSystem(operation: "open the lock file", underlying: .system(operation: "openat", code: error.code))
        }
        // flock(2): LOCK_NB makes a held lock fail with EWOULDBLOCK instead of waiting.
        let (locked, lockCode) = retryingOnInterrupt { flock(lock.raw, LOCK_EX | LOCK_NB) }
        guard locked == 0 else {
            if lockCode == EWOULDBLOCK { throw .folderBusy }
            throw .localFileSystem(operation: "lock the sync folder", underlying: .system(operation: "flock", code: lockCode))
        }
        self.folder = folder
        self.lock = lock
        path = "/proc/self/fd/\(folder.raw)"
    }

    /// Path of a file in the state folder.
    func file(_ name: String) -> String { path + "/" + name }
}
