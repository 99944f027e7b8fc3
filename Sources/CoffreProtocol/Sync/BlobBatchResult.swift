/// What happened to each blob of a batch (`POST …/blob-batch`), in the order of the body.
public struct BlobBatchResult: Sendable, Codable, Equatable {
    /// One item per record of the body.
    public var results: [BlobBatchItem]

    /// The results.
    public init(results: [BlobBatchItem]) {
        self.results = results
    }
}

/// One blob of a batch.
public struct BlobBatchItem: Sendable, Codable, Equatable {
    /// The blob id the record named.
    public var id: BlobID
    /// What became of it.
    public var outcome: BlobBatchOutcome

    /// One result.
    public init(id: BlobID, outcome: BlobBatchOutcome) {
        self.id = id
        self.outcome = outcome
    }
}

/// The stable outcomes of one blob of a batch.
public enum BlobBatchOutcome: String, Sendable, Codable, CaseIterable {
    /// Verified, durable and recorded in the vault.
    case stored
    /// The vault already held it (or an earlier record of the same batch stored it); its
    /// bytes were skipped and cost no quota.
    case alreadyStored
    /// Its bytes do not hash to its id; it was not stored.
    case hashMismatch
}
