/// The one error type of the blob stores.
///
/// Messages name the operation and carry the system's error text; they never hold blob
/// contents, namespaces, ids or file paths (which contain vault ids), so they are safe to log
/// and to return to clients.
public enum BlobStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No blob with that id in that namespace.
    case notFound
    /// The uploaded bytes do not hash to the id they were uploaded under.
    case hashMismatch
    /// The byte count differs from the one announced for an upload, or a stored blob ended
    /// before the size it had when it was opened.
    case sizeMismatch(expected: Int64, actual: Int64)
    /// The blob is larger than the store accepts.
    case tooLarge(limit: Int64)
    /// Free space is below the configured reserve, or the file system said ENOSPC or EDQUOT.
    case diskFull
    /// A namespace outside `[A-Za-z0-9_-]{1,64}`.
    case invalidNamespace
    /// An id that is not exactly 64 lowercase hexadecimal characters.
    case invalidID
    /// `write` or `commit` on an upload that has already committed, aborted or failed.
    case uploadClosed
    /// Another store instance, in this process or another one, has the same root open.
    case storeInUse
    /// A system call or the store's own consistency check failed. `operation` says what the
    /// store was doing; `detail` is the system's error text with its errno.
    case io(operation: String, detail: String)

    public var description: String {
        switch self {
        case .notFound: return "blob not found"
        case .hashMismatch: return "blob bytes do not match the blob id (SHA-256)"
        case .sizeMismatch(let expected, let actual): return "blob size mismatch: expected \(expected) bytes, got \(actual)"
        case .tooLarge(let limit): return "blob larger than the limit of \(limit) bytes"
        case .diskFull: return "not enough free disk space for the blob store"
        case .invalidNamespace: return "invalid blob namespace: expected 1 to 64 of A-Z a-z 0-9 _ -"
        case .invalidID: return "invalid blob id: expected 64 lowercase hexadecimal characters"
        case .uploadClosed: return "the blob upload is already committed, aborted or failed"
        case .storeInUse: return "the blob store directory is already open in another store instance"
        case .io(let operation, let detail): return "blob store I/O error: \(operation): \(detail)"
        }
    }
}
