import Glibc

/// Errors of the server's process runtime: data directory, signals, start-up.
public enum RuntimeError: Error, Equatable, CustomStringConvertible {
    /// A system call failed; `errno` is kept for callers that map it (ENOSPC, EACCES...).
    case system(operation: String, errno: Int32)
    /// Another coffred holds the data directory's lock.
    case dataDirectoryInUse(path: String)
    case notADirectory(path: String)

    public var description: String {
        switch self {
        case .system(let operation, let code): return "\(operation): \(String(cString: strerror(code)))"
        case .dataDirectoryInUse(let path):
            return "the data directory \(path) is in use by another coffred (coffred.lock is held)"
        case .notADirectory(let path): return "\(path) exists and is not a directory"
        }
    }
}
