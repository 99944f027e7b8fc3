/// Array-based reads and writes for the account's small files, keeping the typed error
/// (`withUnsafeBytes` itself only rethrows untyped errors).
extension LocalFileDescriptor {
    /// One read(2) into `buffer[offset...]`; 0 means end of file.
    func read(into buffer: inout [UInt8], from offset: Int, operation: String) throws(LocalFSError) -> Int {
        try buffer.withUnsafeMutableBytes { raw in
            Result { () throws(LocalFSError) in
                try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[offset...]), operation: operation)
            }
        }.get()
    }

    /// Writes all of `bytes`.
    func writeAll(_ bytes: [UInt8], operation: String) throws(LocalFSError) {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(LocalFSError) in try writeAll(raw, operation: operation) }
        }.get()
    }
}
