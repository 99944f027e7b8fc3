import Glibc

extension BlobStoreError {
    /// Maps a failed system call's errno to an error: ENOSPC and EDQUOT become `diskFull`
    /// (write(2), fsync(2), rename(2) and mkdir(2) all report a full disk or quota that way),
    /// anything else an `io` error carrying strerror(3)'s text. ENOENT is not special here:
    /// callers that expect it turn it into `notFound` or `nil` before calling this.
    static func system(_ operation: String, errno code: Int32) -> BlobStoreError {
        switch code {
        case ENOSPC, EDQUOT: return .diskFull
        default: return .io(operation: operation, detail: Self.errorText(code))
        }
    }

    /// strerror(3) text plus the errno number. glibc ≥ 2.32 returns static or thread-local
    /// strings from strerror, so this is safe to call from several threads.
    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return "\(String(cString: text)) (errno \(code))"
    }
}
