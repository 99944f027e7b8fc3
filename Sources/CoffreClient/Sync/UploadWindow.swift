/// How many groups of a large file's blobs upload at once while sealing goes on, bounded by
/// count and by bytes (`ContentSealer.sealStreaming`).
///
/// A group waits for the server's answer after its last byte is sent: coffred makes the batch
/// durable (fsyncs, a row transaction) before it answers, a few hundred milliseconds on a
/// loaded disk. With three groups in flight the sealer stopped for most of that wait
/// (docs/performance.md, Sync client, "Device A's 1 GiB upload: where the wall time goes");
/// a deeper window keeps it sealing, and the byte bound keeps the arrays held by the groups
/// in flight below `byteLimit` however large the chunks are.
struct UploadWindow: Sendable, Equatable {
    /// Groups in flight at most.
    let groupLimit: Int
    /// Bytes of the groups in flight at most; a single group larger than this still goes,
    /// alone.
    let byteLimit: Int
    /// Groups uploading now.
    private(set) var groups = 0
    /// Their bytes.
    private(set) var bytes = 0

    init(groupLimit: Int, byteLimit: Int) {
        self.groupLimit = max(1, groupLimit)
        self.byteLimit = max(1, byteLimit)
    }

    /// True when a group of `size` bytes must wait for one in flight to finish before it starts.
    func mustWait(beforeStarting size: Int) -> Bool {
        groups > 0 && (groups >= groupLimit || bytes + size > byteLimit)
    }

    /// A group of `size` bytes started.
    mutating func started(_ size: Int) {
        groups += 1
        bytes += size
    }

    /// A group of `size` bytes finished.
    mutating func finished(_ size: Int) {
        precondition(groups > 0 && bytes >= size, "UploadWindow: a group finished that never started")
        groups -= 1
        bytes -= size
    }
}
