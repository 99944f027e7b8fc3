import CoffreProtocol
import SQLiteStore

/// The bytes of small blobs, kept in `blob_bytes` (migration 0005, `InlineBlobSchema`) next to
/// their `blobs` row: written in the transaction that records the row, deleted with it by the
/// foreign key's cascade. The blob layer checks who may read before asking.
extension SyncStore {
    /// The bytes `vault` keeps in the database for blob `id`; nil when the vault does not record
    /// it there (its bytes are in a file, or it has none).
    func inlineBytes(of id: BlobID, in vault: VaultID) async throws(SyncError) -> [UInt8]? {
        try await read { db in try Self.inlineBytes(db, of: id, in: vault) }
    }

    /// `inlineBytes(of:in:)` blocking the calling thread, for work already off the event loop
    /// and off the cooperative pool (a blob fetch's pieces run on the blocking-work queue).
    func inlineBytesBlocking(of id: BlobID, in vault: VaultID) throws(SyncError) -> [UInt8]? {
        do {
            return try database.queue.read { db in try Self.inlineBytes(db, of: id, in: vault) }
        } catch {
            throw SyncError.from(error)
        }
    }

    /// `inlineBytes(of:in:)` on a connection the caller holds.
    static func inlineBytes(_ db: Connection, of id: BlobID, in vault: VaultID) throws -> [UInt8]? {
        try db.fetchOne(
            """
            SELECT bb.bytes FROM blob_bytes bb JOIN vaults v ON v.id = bb.vault
            WHERE v.public_id = ? AND bb.hash = ?
            """, [vault.bytes, id.bytes]
        ) { row in try row.blob(at: 0) }
    }

    /// Stores the bytes of blob `id` of vault row `vault`, whose `blobs` row the caller's
    /// transaction has just inserted, binding them from the caller's storage (SQLite copies
    /// them). The statement comes from the connection's cache.
    static func storeInlineBytes(_ db: Connection, vault: Int64, id: BlobID, bytes: ArraySlice<UInt8>) throws {
        try db.withStatement("INSERT INTO blob_bytes (vault, hash, bytes) VALUES (?, ?, ?)") { insert in
            try insert.bind(vault, at: 1)
            try insert.bind(id.bytes, at: 2)
            try bytes.withUnsafeBytes { raw in try insert.bind(raw, at: 3) }
            while try insert.step() {}
        }
    }
}
