/// Where a GC scan stopped: blobs are visited in (vault row, blob id) order.
public struct GarbageCursor: Sendable, Hashable {
    let vault: Int64
    let hash: [UInt8]
}

/// One batch of GC candidates.
public struct GarbagePage: Sendable, Equatable {
    /// Unreferenced blobs older than the grace period, in scan order.
    public var candidates: [VaultBlob]
    /// Pass as `after` for the next batch; nil when the scan reached the end.
    public var next: GarbageCursor?
}
