import SQLiteStore

/// The sync engine's tables: migration 0002 of `ServerDatabase` (after 0001, the accounts,
/// which creates `users`). docs/sync-engine.md explains each table and which query each index serves.
///
/// Every table is STRICT (https://sqlite.org/stricttables.html), so a value of the wrong type is
/// refused rather than stored. Tables keyed by a composite key are WITHOUT ROWID
/// (https://sqlite.org/withoutrowid.html): the key is the clustered index, no second copy.
/// Vaults and revisions keep an integer rowid because other tables point at them.
///
/// Migration 0004 (`CommitOrderSchema`) rebuilt `entries`, `revisions` and `revision_blobs` and
/// added `blobs.refs`; this script stays as it was so that existing databases upgrade step by step.
enum SyncSchema {
    /// The migration that creates the sync tables.
    static let migration = Migration(version: 2, name: "sync", sql: sql)

    /// The script of `migration`.
    static let sql = """
        CREATE TABLE vaults (
            id INTEGER PRIMARY KEY,
            public_id BLOB NOT NULL UNIQUE CHECK (length(public_id) = 16),
            name BLOB NOT NULL,
            seq INTEGER NOT NULL DEFAULT 0 CHECK (seq >= 0),
            key_generation INTEGER NOT NULL DEFAULT 1 CHECK (key_generation >= 1),
            -- Feed cursors below this are gone: tombstones after them were purged.
            feed_floor INTEGER NOT NULL DEFAULT 0 CHECK (feed_floor >= 0),
            created INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE vault_members (
            vault INTEGER NOT NULL REFERENCES vaults(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('owner', 'write', 'read')),
            added INTEGER NOT NULL,
            PRIMARY KEY (vault, user_id)
        ) STRICT, WITHOUT ROWID;
        -- The vaults of a user (vault list, user erasure).
        CREATE INDEX vault_members_by_user ON vault_members(user_id);

        CREATE TABLE vault_keys (
            vault INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            generation INTEGER NOT NULL CHECK (generation >= 1),
            wrapped_key BLOB NOT NULL,
            PRIMARY KEY (vault, user_id, generation),
            FOREIGN KEY (vault, user_id) REFERENCES vault_members(vault, user_id) ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE blobs (
            vault INTEGER NOT NULL REFERENCES vaults(id) ON DELETE CASCADE,
            hash BLOB NOT NULL CHECK (length(hash) = 32),
            size INTEGER NOT NULL CHECK (size >= 0),
            created INTEGER NOT NULL,
            PRIMARY KEY (vault, hash)
        ) STRICT, WITHOUT ROWID;
        -- Blobs recorded before a time.
        CREATE INDEX blobs_by_age ON blobs(created);

        CREATE TABLE revisions (
            id INTEGER PRIMARY KEY,
            vault INTEGER NOT NULL REFERENCES vaults(id) ON DELETE CASCADE,
            entry_id BLOB NOT NULL CHECK (length(entry_id) = 16),
            rev INTEGER NOT NULL CHECK (rev >= 1),
            parent_id BLOB NOT NULL CHECK (length(parent_id) = 16),
            kind INTEGER NOT NULL CHECK (kind IN (1, 2, 3)),
            name_tag BLOB NOT NULL CHECK (length(name_tag) = 32),
            deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
            record BLOB NOT NULL,
            created INTEGER NOT NULL,
            UNIQUE (vault, entry_id, rev)
        ) STRICT;
        -- Retention: revisions written before the cutoff. The UNIQUE constraint's index serves
        -- an entry's history and "the next revision of this entry".
        CREATE INDEX revisions_by_age ON revisions(vault, created);

        CREATE TABLE revision_blobs (
            revision INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
            vault INTEGER NOT NULL,
            hash BLOB NOT NULL,
            -- How often the commit listed the blob for this revision (for logical sizes).
            occurrences INTEGER NOT NULL CHECK (occurrences >= 1),
            PRIMARY KEY (revision, hash),
            FOREIGN KEY (vault, hash) REFERENCES blobs(vault, hash)
        ) STRICT, WITHOUT ROWID;
        -- "Is this blob still referenced?" (GC, pruning) and the foreign key to blobs.
        CREATE INDEX revision_blobs_by_blob ON revision_blobs(vault, hash);

        CREATE TABLE entries (
            vault INTEGER NOT NULL REFERENCES vaults(id) ON DELETE CASCADE,
            entry_id BLOB NOT NULL CHECK (length(entry_id) = 16),
            parent_id BLOB NOT NULL CHECK (length(parent_id) = 16),
            kind INTEGER NOT NULL CHECK (kind IN (1, 2, 3)),
            name_tag BLOB NOT NULL CHECK (length(name_tag) = 32),
            deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
            rev INTEGER NOT NULL CHECK (rev >= 1),
            -- The revisions row holding this state and its record. No foreign key: it would need
            -- an index on head for every revision deleted; checkConsistency verifies it instead.
            head INTEGER NOT NULL,
            PRIMARY KEY (vault, entry_id)
        ) STRICT, WITHOUT ROWID;
        -- The changes feed: (vault, rev) and, as in every index of a WITHOUT ROWID table, the
        -- primary key after it, so pages come in (rev, entry_id) order without a sort.
        CREATE INDEX entries_by_rev ON entries(vault, rev);
        -- Live siblings with a name tag, live children of a folder. `deleted` makes the index
        -- cover those queries; without it the planner prefers the primary key prefix (vault),
        -- a scan of the whole vault (checked by SyncSchemaTests).
        CREATE INDEX entries_live_children ON entries(vault, parent_id, name_tag, deleted) WHERE deleted = 0;
        -- The trash, newest deletion first, and retention's expired tombstones.
        CREATE INDEX entries_trash ON entries(vault, rev) WHERE deleted = 1;

        CREATE TABLE commits (
            vault INTEGER NOT NULL REFERENCES vaults(id) ON DELETE CASCADE,
            commit_id BLOB NOT NULL CHECK (length(commit_id) = 16),
            request_digest BLOB NOT NULL CHECK (length(request_digest) = 32),
            seq INTEGER NOT NULL,
            created INTEGER NOT NULL,
            PRIMARY KEY (vault, commit_id)
        ) STRICT, WITHOUT ROWID;
        -- Forgetting commit ids beyond the last N commits.
        CREATE INDEX commits_by_seq ON commits(vault, seq);
        """
}
