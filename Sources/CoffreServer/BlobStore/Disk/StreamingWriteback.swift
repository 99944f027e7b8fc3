/// Starts the disk writes of a file while it is still being written, so that the fsync at
/// commit has little left to wait for: the disk works while the rest of the body arrives
/// instead of after it (docs/storage-blobs.md, "Upload and durability sequence").
///
/// Every `interval` bytes appended, the range written since the last call goes to
/// sync_file_range(2) (`FileDescriptor.startWriteback`). It is only a head start: the final
/// fsync stays the durability guarantee.
struct StreamingWriteback {
    /// Bytes between two writeback starts. Measured on this machine (docs/performance.md,
    /// "Durable uploads").
    static let interval: Int64 = 1 << 20

    /// File offset up to which writeback has been started.
    private var started: Int64 = 0

    /// Records that the file now holds `total` bytes, starting writeback of the unstarted part
    /// once it reaches `interval`.
    mutating func wrote(upTo total: Int64, in file: FileDescriptor, operation: String) throws(BlobStoreError) {
        guard total - started >= Self.interval else { return }
        try file.startWriteback(offset: started, count: total - started, operation: operation)
        started = total
    }
}
