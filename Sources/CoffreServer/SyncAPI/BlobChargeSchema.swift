import SQLiteStore

/// Migration 0003 of `ServerDatabase`: who pays for each blob, so that the quota is given back
/// whenever a blob row goes, however it goes.
///
/// - `blobs.charged_to` is the user whose upload first stored the blob in its vault; later
///   uploads of the same blob into the same vault cost nothing (content addressing). It is
///   NULL for blobs recorded without an upload and becomes NULL when that user is deleted
///   (https://sqlite.org/foreignkeys.html#fk_actions), the blob staying with its vault.
/// - The trigger gives the bytes back to that user whenever a blob row is deleted: by garbage
///   collection, by a vault deletion's cascade, by an account erasure's cascade. SQLite runs
///   triggers for rows that foreign-key actions delete, inside the same statement, so the
///   accounting commits or rolls back with the deletion (https://sqlite.org/lang_createtrigger.html).
/// - The partial index serves the foreign key's `ON DELETE SET NULL` lookup and the startup
///   reconciliation of `users.used_bytes` (`BlobLayer.reconcileQuotaUsage`).
enum BlobChargeSchema {
    /// The migration.
    static let migration = Migration(version: 3, name: "blob-charges", sql: sql)

    static let sql = """
        ALTER TABLE blobs ADD COLUMN charged_to INTEGER REFERENCES users(id) ON DELETE SET NULL;
        CREATE INDEX blobs_by_charge ON blobs(charged_to, size) WHERE charged_to IS NOT NULL;
        CREATE TRIGGER blobs_release_charge AFTER DELETE ON blobs WHEN old.charged_to IS NOT NULL
        BEGIN
            UPDATE users SET used_bytes = max(0, used_bytes - old.size) WHERE id = old.charged_to;
        END;
        """
}
