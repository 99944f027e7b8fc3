import CoffreProtocol
import Foundation

/// What a store knows about one stored blob.
public struct BlobInfo: Hashable, Sendable {
    /// The blob's id, the SHA-256 of its bytes.
    public let id: BlobID
    /// Its size in bytes.
    public let size: Int64
    /// When it was last stored. An idempotent re-put of a blob that already exists refreshes
    /// it, so a garbage collector's grace period counts from the last time a client was told
    /// the blob is held.
    public let created: Date

    /// Describes a stored blob.
    public init(id: BlobID, size: Int64, created: Date) {
        self.id = id
        self.size = size
        self.created = created
    }
}
