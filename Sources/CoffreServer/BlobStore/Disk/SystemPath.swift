/// Something that can lend a NUL-terminated path to a system call: a `String` the store built,
/// or a `DirectoryEntry` name exactly as readdir(3) returned it (which need not be UTF-8).
protocol SystemPath {
    /// Calls `body` with the path as a C string valid for the duration of the call.
    func withSystemPath<Result>(_ body: (UnsafePointer<CChar>) -> Result) -> Result
}

extension String: SystemPath {
    func withSystemPath<Result>(_ body: (UnsafePointer<CChar>) -> Result) -> Result {
        withCString(body)
    }
}
