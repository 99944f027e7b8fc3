import Glibc

/// The server's data directory: created with mode 0700 if missing, and held under an exclusive
/// `flock` on `coffred.lock` for the life of this object, so two servers never share one
/// directory (the second one fails with a clear error instead of corrupting the first's data).
///
/// Layout: `coffred.lock`, `coffred.db` (+ WAL), `blobs/`, `tmp/`, `admin.token`, `coffred.url`.
public final class DataDirectory: Sendable {
    /// Absolute path of the directory.
    public let path: String
    private let lockDescriptor: Int32

    /// Creates the directory if needed and takes the lock.
    public init(path: String) throws(RuntimeError) {
        let absolute = path.hasPrefix("/") ? path : Self.currentDirectory() + "/" + path
        try Self.makeDirectory(absolute)
        let lockPath = absolute + "/coffred.lock"
        let fd = Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(operation: "open coffred.lock", errno: errno) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            Glibc.close(fd)
            if code == EWOULDBLOCK {
                throw .dataDirectoryInUse(path: absolute)
            }
            throw .system(operation: "flock coffred.lock", errno: code)
        }
        self.path = absolute
        self.lockDescriptor = fd
        for sub in ["blobs", "tmp"] { try Self.makeDirectory(absolute + "/" + sub) }
    }

    deinit { Glibc.close(lockDescriptor) }

    /// Path of a file or folder inside the directory.
    public func file(_ name: String) -> String { path + "/" + name }

    static func makeDirectory(_ path: String) throws(RuntimeError) {
        var parts: [String] = []
        for component in path.split(separator: "/") {
            parts.append(String(component))
            let prefix = "/" + parts.joined(separator: "/")
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw .system(operation: "mkdir \(prefix)", errno: errno)
            }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw .system(operation: "stat \(path)", errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw .notADirectory(path: path) }
    }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
