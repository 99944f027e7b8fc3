/// Asks which of these blobs the vault lacks, before uploading.
public struct MissingBlobsRequest: Sendable, Codable, Equatable {
    /// The ids to look up (duplicates allowed).
    public var ids: [BlobID]

    /// A lookup of `ids`.
    public init(ids: [BlobID]) {
        self.ids = ids
    }
}

/// The blobs of a `MissingBlobsRequest` the vault does not hold.
public struct MissingBlobsResponse: Sendable, Codable, Equatable {
    /// Each missing id once, in the order of the request.
    public var missing: [BlobID]

    /// The missing ids.
    public init(missing: [BlobID]) {
        self.missing = missing
    }
}
