import CoffreProtocol
import SQLiteStore

/// Where a chunk's plaintext lies on disk: in a synced file, at an offset, as long as that
/// file is still what was agreed (`identity`).
struct ChunkLocation: Sendable, Equatable {
    let path: String
    let offset: Int64
    let length: UInt32
    let identity: LocalIdentity
}

/// The chunk cache: (blob id, chunk key commitment) → (synced file, offset, length), kept with
/// the synced tree. It serves delta downloads (copy chunks already on disk instead of fetching
/// them, matched by id and key: `LocalChunkCopies`) and uploads (a blob of a synced file is on
/// the server: no "missing" question needed, by id alone). Rows written before migration 5
/// have no commitment and are never copied from.
extension SyncIndex {
    /// Where synced files hold the chunks of `references`, each matched by blob id and chunk
    /// key (`ChunkKeyCommitment`).
    func localCopies(of references: [ChunkReference]) async throws(SyncClientError) -> LocalChunkCopies {
        var wanted: [(id: BlobID, commitment: ChunkKeyCommitment)] = []
        // Distinct (id, commitment) pairs; both halves come from the manifests asked about.
        var seen = Set<[UInt8]>()
        for reference in references {
            guard let id = BlobID(bytes: reference.blobID) else { continue }
            let commitment = try ChunkKeyCommitment(to: reference.key)
            if seen.insert(id.bytes + commitment.bytes).inserted { wanted.append((id, commitment)) }
        }
        guard !wanted.isEmpty else { return .empty }
        let pairs = wanted
        return try await read("look up local chunks") { db in
            var found = LocalChunkCopies()
            for (id, commitment) in pairs {
                let candidate = try db.fetchOne(
                    """
                    SELECT c.offset, c.length, s.path, s.inode, s.device, s.local_size, s.local_mtime, s.local_mode, s.local_ctime,
                        c.key_commitment
                    FROM chunks c JOIN synced s ON s.entry_id = c.entry_id
                    WHERE c.blob_id = ? AND c.key_commitment = ? AND s.remote_deleted = 0 LIMIT 1
                    """, [id.bytes, commitment.bytes], Self.chunkCandidate)
                // The query narrows by commitment; the match that decides is in constant time.
                if let candidate, commitment.matches(candidate.commitment) { found.add(candidate, for: id) }
            }
            return found
        }
    }

    /// A row of `localCopies`' query.
    private static func chunkCandidate(_ row: Row) throws -> LocalChunkCopies.Candidate {
        guard let length = UInt32(exactly: try row.int64(at: 1)), let mode = UInt32(exactly: try row.int64(at: 7)) else {
            throw SQLiteError.misuse("index holds an invalid chunk location")
        }
        let location = ChunkLocation(
            path: try row.string(at: 2), offset: try row.int64(at: 0), length: length,
            identity: LocalIdentity(
                inode: UInt64(bitPattern: try row.int64(at: 3)), device: UInt64(bitPattern: try row.int64(at: 4)),
                size: try row.int64(at: 5), modificationTime: try row.int64(at: 6), mode: mode,
                changeTime: try row.int64(at: 8)))
        return LocalChunkCopies.Candidate(commitment: try row.blob(at: 9), location: location)
    }

    /// Replaces the chunk cache rows of a file with its chunks at their offsets, each with the
    /// commitment to its key.
    static func replaceChunks(of entry: SyncedEntry, in db: Connection) throws {
        try db.execute("DELETE FROM chunks WHERE entry_id = ?", [entry.id.bytes])
        guard entry.kind == .file, !entry.remoteDeleted else { return }
        var offset: Int64 = 0
        for chunk in entry.chunks {
            let commitment = try ChunkKeyCommitment(to: chunk.key)
            try db.execute(
                "INSERT OR IGNORE INTO chunks (blob_id, entry_id, offset, length, key_commitment) VALUES (?, ?, ?, ?, ?)",
                [chunk.blobID, entry.id.bytes, offset, Int64(chunk.length), commitment.bytes])
            offset += Int64(chunk.length)
        }
    }

    /// The ids among `ids` that a synced file references: the server holds them (a synced
    /// state's blobs stay referenced by its revision).
    func knownBlobs(_ ids: [BlobID]) async throws(SyncClientError) -> Set<BlobID> {
        try await read("look up known blobs") { db in
            var known = Set<BlobID>()
            for id in Set(ids) where try db.fetchValue("SELECT 1 FROM chunks WHERE blob_id = ? LIMIT 1", [id.bytes], as: Int64.self) != nil {
                known.insert(id)
            }
            return known
        }
    }

    /// Forgets blobs the server says it lacks (collected since, or never there), so the next
    /// upload asks for them again.
    func forgetBlobs(_ ids: [BlobID]) async throws(SyncClientError) {
        try await write("forget missing blobs") { db in
            for id in ids { try db.execute("DELETE FROM chunks WHERE blob_id = ?", [id.bytes]) }
        }
    }
}
