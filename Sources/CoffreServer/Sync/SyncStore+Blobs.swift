import CoffreProtocol
import SQLiteStore

/// Which blobs each vault holds. The blob layer writes the bytes durably first and records them
/// here afterwards (blobs before metadata, DESIGN §5), so a recorded blob always has its bytes.
extension SyncStore {
    /// Records blobs whose bytes the blob layer has just made durable in `vault` (write role).
    /// Recording a blob again refreshes its time, which restarts its GC grace period.
    public func recordBlobs(_ vault: VaultID, user: Int64, _ blobs: [StoredBlob]) async throws(SyncError) {
        guard blobs.count <= limits.maxMissingQueryIDs else {
            throw .invalidRequest("at most \(limits.maxMissingQueryIDs) blobs per call")
        }
        guard blobs.allSatisfy({ $0.size >= 0 }) else { throw .invalidRequest("a blob size cannot be negative") }
        let now = clock.now()
        try await write { db in
            let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .write)
            let insert = try db.prepare(
                """
                INSERT INTO blobs (vault, hash, size, created) VALUES (?, ?, ?, ?)
                ON CONFLICT (vault, hash) DO UPDATE SET created = max(created, excluded.created)
                """)
            for blob in blobs {
                insert.reset()
                try insert.bind(access.rowID, at: 1)
                try insert.bind(blob.id.bytes, at: 2)
                try insert.bind(blob.size, at: 3)
                try insert.bind(now, at: 4)
                while try insert.step() {}
            }
        }
    }

    /// The ids among `ids` that `vault` does not hold, each once, in request order (any member).
    /// One statement answers the whole batch.
    public func missingBlobs(
        _ vault: VaultID, user: Int64, _ request: MissingBlobsRequest
    ) async throws(SyncError) -> MissingBlobsResponse {
        guard request.ids.count <= limits.maxMissingQueryIDs else {
            throw .invalidRequest("at most \(limits.maxMissingQueryIDs) ids per query")
        }
        let missing = try await read { db in
            let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .read)
            return try Self.missing(db, vault: access.rowID, ids: request.ids)
        }
        var seen = Set<BlobID>()
        return MissingBlobsResponse(missing: request.ids.filter { missing.contains($0) && seen.insert($0).inserted })
    }

    /// The ids among `ids` that vault row `vault` does not hold, with one statement
    /// (`PackedIDs`): one lookup in the `blobs` primary key per distinct id.
    static func missing(_ db: Connection, vault: Int64, ids: [BlobID]) throws -> Set<BlobID> {
        let unique = Array(Set(ids))
        guard !unique.isEmpty else { return [] }
        let packed = PackedIDs.pack(unique, width: BlobID.byteCount) { id, bytes in bytes.append(contentsOf: id.bytes) }
        var missing = Set<BlobID>()
        try db.query(
            PackedIDs.cte(width: BlobID.byteCount)
                + " SELECT id FROM ids"
                + " WHERE NOT EXISTS (SELECT 1 FROM blobs WHERE blobs.vault = ?2 AND blobs.hash = ids.id)",
            [packed, vault]
        ) { row in missing.insert(try row.blobID(at: 0)) }
        return missing
    }
}
