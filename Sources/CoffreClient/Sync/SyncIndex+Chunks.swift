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

/// The chunk cache: blob id → (synced file, offset, length), kept with the synced tree. It
/// serves delta downloads (copy chunks already on disk instead of fetching them) and uploads
/// (a blob of a synced file is on the server: no "missing" question needed).
extension SyncIndex {
    /// A local copy of each blob of `ids` the cache knows, by id.
    func localCopies(of ids: [BlobID]) async throws(SyncClientError) -> [BlobID: ChunkLocation] {
        try await read("look up local chunks") { db in
            var found: [BlobID: ChunkLocation] = [:]
            for id in Set(ids) {
                let location = try db.fetchOne(
                    """
                    SELECT c.offset, c.length, s.path, s.inode, s.device, s.local_size, s.local_mtime, s.local_mode, s.local_ctime
                    FROM chunks c JOIN synced s ON s.entry_id = c.entry_id
                    WHERE c.blob_id = ? AND s.remote_deleted = 0 LIMIT 1
                    """, [id.bytes]
                ) { row in
                    guard let length = UInt32(exactly: try row.int64(at: 1)), let mode = UInt32(exactly: try row.int64(at: 7)) else {
                        throw SQLiteError.misuse("index holds an invalid chunk location")
                    }
                    return ChunkLocation(
                        path: try row.string(at: 2), offset: try row.int64(at: 0), length: length,
                        identity: LocalIdentity(
                            inode: UInt64(bitPattern: try row.int64(at: 3)), device: UInt64(bitPattern: try row.int64(at: 4)),
                            size: try row.int64(at: 5), modificationTime: try row.int64(at: 6), mode: mode,
                            changeTime: try row.int64(at: 8)))
                }
                if let location { found[id] = location }
            }
            return found
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
