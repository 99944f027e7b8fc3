import SQLiteStore

/// Migration 0005 of `ServerDatabase`: small blobs' bytes kept in the database
/// (docs/storage-blobs.md, "Two homes").
///
/// - `blob_bytes` holds the ciphertext of each blob of at most the server's inline threshold
///   (`storage.inlineMaxBytes`), written in the transaction that records its `blobs` row. The
///   `blobs` row stays the one record of presence, size, charge and references; a blob without a
///   `blob_bytes` row has its bytes in the blob store's files, as before this migration, so data
///   directories written earlier need no conversion. sqlite.org measured small blobs to read
///   faster from the database than from files ("Internal Versus External BLOBs",
///   https://www.sqlite.org/intern-v-extern-blob.html).
/// - A rowid table with a UNIQUE key, not WITHOUT ROWID: rows of a few KiB are far above the
///   twentieth of a page for which https://sqlite.org/withoutrowid.html recommends WITHOUT ROWID;
///   here new rows append to the table and only the 40-byte key lands on a random leaf.
/// - The foreign key deletes the bytes with their `blobs` row in the same statement (garbage
///   collection, a vault's deletion, an account's erasure: https://sqlite.org/foreignkeys.html#fk_actions),
///   and refuses bytes for a blob the vault does not record.
enum InlineBlobSchema {
    /// The migration.
    static let migration = Migration(version: 5, name: "inline-blobs", sql: sql)

    static let sql = """
        CREATE TABLE blob_bytes (
            id INTEGER PRIMARY KEY,
            vault INTEGER NOT NULL,
            hash BLOB NOT NULL,
            bytes BLOB NOT NULL,
            UNIQUE (vault, hash),
            FOREIGN KEY (vault, hash) REFERENCES blobs(vault, hash) ON DELETE CASCADE
        ) STRICT;
        """
}
