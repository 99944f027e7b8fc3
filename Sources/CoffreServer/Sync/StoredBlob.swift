import CoffreProtocol

/// A blob the blob layer has stored: its id and size in bytes.
public struct StoredBlob: Sendable, Hashable {
    /// The blob's id (SHA-256 of its bytes).
    public var id: BlobID
    /// Its size in bytes.
    public var size: Int64

    /// A stored blob.
    public init(id: BlobID, size: Int64) {
        self.id = id
        self.size = size
    }
}
