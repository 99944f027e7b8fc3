import CoffreProtocol

/// The chunk cache's answer for a set of chunk references (`SyncIndex.localCopies(of:)`):
/// where synced files hold each chunk, found by `(blob id, key)` — a location is given only to
/// a reference whose chunk key the cache row commits to (`ChunkKeyCommitment`), so a row that a
/// download recorded under one key is never copied from for a reference with another key, even
/// under the same blob id (docs/threat-model.md, "Why a read need not hash the blob").
struct LocalChunkCopies: Sendable {
    /// One cache row found: the commitment it was stored with, and where the chunk lies.
    struct Candidate: Sendable {
        let commitment: [UInt8]
        let location: ChunkLocation
    }

    /// Rows found, by blob id; a blob id has one candidate per distinct key asked about.
    private var candidates: [BlobID: [Candidate]] = [:]

    /// No location at all.
    static let empty = LocalChunkCopies()

    /// Records that the chunk with blob id `id` and a key committed to by `candidate.commitment`
    /// lies at `candidate.location`.
    mutating func add(_ candidate: Candidate, for id: BlobID) {
        candidates[id, default: []].append(candidate)
    }

    /// Where a synced file holds the chunk `reference` names, if the cache row for its blob id
    /// commits to its key (compared in constant time); nil otherwise, or for a malformed id.
    func location(of reference: ChunkReference) throws(SyncClientError) -> ChunkLocation? {
        guard let id = BlobID(bytes: reference.blobID), let found = candidates[id] else { return nil }
        let commitment = try ChunkKeyCommitment(to: reference.key)
        return found.first { commitment.matches($0.commitment) }?.location
    }
}
