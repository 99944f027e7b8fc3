/// The bounds a binary sync body is decoded under: every count and length is checked against
/// these (and against the bytes left) before anything is allocated. The server passes its
/// `SyncLimits`; a client uses `client`.
public struct BinaryWireLimits: Sendable, Equatable {
    /// Changes in one commit, or entries in one changes page.
    public var maxEntries: Int
    /// Bytes of one encrypted record.
    public var maxRecordBytes: Int
    /// Blob references of one change.
    public var maxBlobsPerEntry: Int
    /// Blob references of one commit, all changes together.
    public var maxBlobsPerCommit: Int

    /// Explicit limits.
    public init(maxEntries: Int, maxRecordBytes: Int, maxBlobsPerEntry: Int, maxBlobsPerCommit: Int) {
        self.maxEntries = maxEntries
        self.maxRecordBytes = maxRecordBytes
        self.maxBlobsPerEntry = maxBlobsPerEntry
        self.maxBlobsPerCommit = maxBlobsPerCommit
    }

    /// What a client accepts in a changes page: records up to the largest the JSON form
    /// carries (`Base64Bytes.maximumEncodedLength` of base64, 36 KiB), and as many entries as
    /// the bytes hold (the body itself is bounded by the client's answer limit).
    public static let client = BinaryWireLimits(
        maxEntries: Int(Int32.max), maxRecordBytes: Base64Bytes.maximumEncodedLength / 4 * 3,
        maxBlobsPerEntry: Int(Int32.max), maxBlobsPerCommit: Int(Int32.max))
}
