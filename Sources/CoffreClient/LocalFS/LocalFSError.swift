import Glibc

/// Every way the client's local file-system side (scanner, watcher, stable reads, atomic
/// placement, conflict naming) can fail. Messages name the operation and the system's error
/// text only — never a path, a file name or file content.
public enum LocalFSError: Error, Equatable, CustomStringConvertible {
    /// A system call failed: `operation` says what was being done, `code` is the errno value.
    case system(operation: String, code: Int32)
    /// A relative path handed in by the caller is not acceptable (the reason says which rule).
    case invalidPath(String)
    /// The path names nothing (or one of its folders is missing).
    case notFound
    /// The path exists but is not what the operation needs (a regular file, a folder).
    case wrongKind(expected: String)
    /// A kernel record (getdents64, inotify) did not fit its documented layout.
    case malformedRecord(String)
    /// A `.coffreignore` file is larger than the limit, or not a regular file.
    case ignoreFileRejected(String)
    /// Every conflict name up to the counter limit is already taken.
    case conflictNamesExhausted
    /// A one-shot object was used twice (a watcher's stream asked for again, a placement reused).
    case misuse(String)

    public var description: String {
        switch self {
        case .system(let operation, let code): return "\(operation): \(String(cString: strerror(code))) (errno \(code))"
        case .invalidPath(let reason): return "invalid relative path: \(reason)"
        case .notFound: return "no such file or folder"
        case .wrongKind(let expected): return "not \(expected)"
        case .malformedRecord(let reason): return "malformed kernel record: \(reason)"
        case .ignoreFileRejected(let reason): return "ignore file rejected: \(reason)"
        case .conflictNamesExhausted: return "no free conflict name left"
        case .misuse(let reason): return "misuse: \(reason)"
        }
    }
}
