import SQLiteStore

/// The tables of the local index (docs/sync-client.md, "The index"). Every table is STRICT;
/// those keyed by entry or blob id are WITHOUT ROWID, so the key is the clustered index.
enum SyncIndexSchema {
    /// Migration 1: the three trees' persistent parts, the cursor, pending commits and the
    /// chunk cache.
    static let migrations = [
        Migration(
            version: 1, name: "sync-index",
            sql: """
                CREATE TABLE state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    vault_id BLOB NOT NULL,
                    cursor INTEGER NOT NULL,
                    highest_seq INTEGER NOT NULL,
                    last_sync INTEGER
                ) STRICT;

                -- The remote tree: each entry's newest state from the feed, record decrypted.
                -- dirty = 1 while that state differs from what the synced tree holds.
                CREATE TABLE remote (
                    entry_id BLOB PRIMARY KEY,
                    parent_id BLOB NOT NULL,
                    kind INTEGER NOT NULL,
                    rev INTEGER NOT NULL,
                    deleted INTEGER NOT NULL,
                    name_tag BLOB NOT NULL,
                    readable INTEGER NOT NULL,
                    name TEXT,
                    mtime INTEGER,
                    mode INTEGER,
                    size INTEGER,
                    target TEXT,
                    manifest_form INTEGER,
                    manifest BLOB,
                    generation INTEGER,
                    dirty INTEGER NOT NULL
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX remote_dirty ON remote (entry_id) WHERE dirty = 1;

                -- The synced tree: the last state both sides agreed on, with where and what
                -- the entry is on disk (local_*), to tell local changes from it.
                CREATE TABLE synced (\(entryColumns), PRIMARY KEY (entry_id)) STRICT, WITHOUT ROWID;
                -- The scan's order (sort_key: the on-disk path with '/' as a zero byte), covering
                -- every column the no-change comparison reads: one sequential pass.
                CREATE INDEX synced_scan_order ON synced (
                    sort_key, kind, inode, device, local_size, local_mtime, local_mode, remote_deleted, target);
                CREATE INDEX synced_by_path ON synced (path);

                -- Chunk cache: where the plaintext of a blob lies in a synced file.
                CREATE TABLE chunks (
                    blob_id BLOB NOT NULL,
                    entry_id BLOB NOT NULL,
                    offset INTEGER NOT NULL,
                    length INTEGER NOT NULL,
                    PRIMARY KEY (blob_id, entry_id, offset)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX chunks_by_entry ON chunks (entry_id);

                -- Commits written down before they are sent, so a retry after a crash reuses
                -- the commit id and the server answers the original result.
                CREATE TABLE pending_commits (
                    commit_id BLOB PRIMARY KEY,
                    request BLOB NOT NULL,
                    position INTEGER NOT NULL
                ) STRICT, WITHOUT ROWID;
                -- The synced rows each pending commit will write once it lands.
                CREATE TABLE pending_entries (
                    commit_id BLOB NOT NULL REFERENCES pending_commits (commit_id) ON DELETE CASCADE,
                    tombstone INTEGER NOT NULL,
                    name_tag BLOB NOT NULL,
                    \(entryColumns),
                    PRIMARY KEY (commit_id, entry_id)
                ) STRICT, WITHOUT ROWID;
                """),
        // Migration 2: the record's WebDAV dead properties (docs/format.md, record field 8), kept
        // so that a local edit published by the sync engine carries them over instead of
        // dropping them.
        Migration(
            version: 2, name: "dead-properties",
            sql: """
                ALTER TABLE remote ADD COLUMN dead_properties BLOB;
                ALTER TABLE synced ADD COLUMN dead_properties BLOB NOT NULL DEFAULT x'';
                ALTER TABLE pending_entries ADD COLUMN dead_properties BLOB NOT NULL DEFAULT x'';
                """),
        // Migration 3: the file's status-change time on disk (st_ctim, nanoseconds), so that a
        // delta download may copy unchanged ranges of a synced file on metadata alone
        // (docs/sync-client.md, "Delta downloads"). 0, as rows written before it read, means
        // unknown: such a file's chunks are read and verified instead.
        Migration(
            version: 3, name: "local-change-time",
            sql: """
                ALTER TABLE synced ADD COLUMN local_ctime INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE pending_entries ADD COLUMN local_ctime INTEGER NOT NULL DEFAULT 0;
                """),
        // Migration 4: a pending commit's request moves to a table of its own. With foreign
        // keys on, each pending_entries row inserted looks its commit up in pending_commits,
        // and SQLite reads a WITHOUT ROWID row whose payload spills onto overflow pages whole
        // for each key comparison: a 1,000-entry commit read its request (hundreds of KiB)
        // 1,000 times (about 10 % of device A's CPU over 10,000 small files,
        // docs/performance.md "Sync client"). Nothing references pending_requests, so its
        // large rows are looked up once per commit.
        Migration(
            version: 4, name: "pending-requests",
            sql: """
                CREATE TABLE pending_requests (
                    commit_id BLOB PRIMARY KEY REFERENCES pending_commits (commit_id) ON DELETE CASCADE,
                    request BLOB NOT NULL
                ) STRICT, WITHOUT ROWID;
                INSERT INTO pending_requests (commit_id, request) SELECT commit_id, request FROM pending_commits;
                ALTER TABLE pending_commits DROP COLUMN request;
                """),
        // Migration 5: each chunk cache row commits to its chunk key (`ChunkKeyCommitment`), and
        // only a reference with that key may copy from it, so that downloads need not hash
        // blob ids (docs/threat-model.md, "Why a read need not hash the blob"). Rows written
        // before it have none (NULL, which equals nothing): they still tell uploads which
        // blobs the server holds, but no download copies from them until their file is agreed
        // again and its rows rewritten.
        Migration(
            version: 5, name: "chunk-key-commitments",
            sql: """
                ALTER TABLE chunks ADD COLUMN key_commitment BLOB;
                """),
    ]

    /// The columns of a synced entry, shared by `synced` and `pending_entries`, as migration 1
    /// created them (migration 2 appends `dead_properties`, migration 3 `local_ctime`).
    static let entryColumns = """
        entry_id BLOB NOT NULL,
        parent_id BLOB NOT NULL,
        kind INTEGER NOT NULL,
        rev INTEGER NOT NULL,
        remote_deleted INTEGER NOT NULL,
        name TEXT NOT NULL,
        mtime INTEGER NOT NULL,
        mode INTEGER NOT NULL,
        size INTEGER NOT NULL,
        target TEXT,
        manifest_form INTEGER NOT NULL,
        manifest BLOB NOT NULL,
        generation INTEGER NOT NULL,
        chunks BLOB NOT NULL,
        path TEXT NOT NULL,
        sort_key BLOB NOT NULL,
        inode INTEGER NOT NULL,
        device INTEGER NOT NULL,
        local_size INTEGER NOT NULL,
        local_mtime INTEGER NOT NULL,
        local_mode INTEGER NOT NULL
        """

    /// The entry columns in declaration order, for INSERT and SELECT lists.
    static let entryColumnNames = [
        "entry_id", "parent_id", "kind", "rev", "remote_deleted", "name", "mtime", "mode", "size", "target",
        "manifest_form", "manifest", "generation", "chunks", "path", "sort_key", "inode", "device", "local_size",
        "local_mtime", "local_mode", "dead_properties", "local_ctime",
    ]
}
