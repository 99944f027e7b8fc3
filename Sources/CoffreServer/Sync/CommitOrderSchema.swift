import SQLiteStore

/// Migration 0004 of `ServerDatabase`: the hot indexes of a commit keyed by values that grow
/// with creation instead of the client's random entry ids (docs/performance.md, "Sync API",
/// "Commit throughput", has the measurements).
///
/// - `entries` gets an integer row id, `id`, given when the entry is created; the client's
///   16-byte `entry_id` stays the protocol's key, through the UNIQUE (vault, entry_id) index.
///   New rows append to the table instead of landing on random leaves, and that index, holding
///   only the key and the row id, is a third of the old table's size, so it stays in the page
///   cache of a large vault. The other indexes of `entries` name `entry_id` explicitly, since
///   a rowid table's index ends with the row id, not the primary key.
/// - `revisions.entry` is that integer instead of the entry id: an entry's history is the
///   range `UNIQUE (entry, rev)`, to which new entries append, where `UNIQUE (vault,
///   entry_id, rev)` took one random leaf page per new entry.
/// - `blobs.refs` counts the `revision_blobs` rows naming the blob, kept by triggers in the
///   statement that adds or removes the row (cascades included,
///   https://sqlite.org/lang_createtrigger.html), in place of the index `revision_blobs(vault,
///   hash)`: that index took one leaf page per reference, on a random key, and its only readers
///   asked "is this blob still referenced?" (GC, pruning) and enforced the foreign key to `blobs`.
///   The triggers take over both: an insert naming a blob the vault does not record aborts, and
///   a blob row with references cannot be deleted while its vault exists (a vault's deletion
///   removes its revisions and blobs together, in either order).
///
/// No AUTOINCREMENT on `entries.id`: an id can come back only after the entry with the largest
/// id is purged, and purging deletes the entry's revisions in the same transaction, so nothing
/// refers to the old holder any more (https://sqlite.org/autoinc.html).
///
/// The script rebuilds the tables by the procedure of https://sqlite.org/lang_altertable.html#otheralter,
/// inside the migrator's transaction, where foreign keys stay on: dropping `revisions` would
/// cascade into `revision_blobs` (https://sqlite.org/foreignkeys.html#fk_actions), so its rows are
/// set aside in a plain table first and put back into an identical new `revision_blobs`.
enum CommitOrderSchema {
    /// The migration.
    static let migration = Migration(version: 4, name: "commit-order-keys", sql: sql)

    static let sql = """
        CREATE TABLE entries_new (
            id INTEGER PRIMARY KEY,
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
            UNIQUE (vault, entry_id)
        ) STRICT;
        -- Existing entries are numbered in the order of their first retained revision.
        INSERT INTO entries_new (vault, entry_id, parent_id, kind, name_tag, deleted, rev, head)
        SELECT e.vault, e.entry_id, e.parent_id, e.kind, e.name_tag, e.deleted, e.rev, e.head FROM entries e
        ORDER BY (SELECT min(r.id) FROM revisions r WHERE r.vault = e.vault AND r.entry_id = e.entry_id), e.head;
        DROP TABLE entries;
        ALTER TABLE entries_new RENAME TO entries;
        -- The changes feed, in (rev, entry_id) order without a sort.
        CREATE INDEX entries_by_rev ON entries(vault, rev, entry_id);
        -- Live siblings with a name tag, live children of a folder. `deleted` and `entry_id` make
        -- the index cover those queries (checked by SyncSchemaTests).
        CREATE INDEX entries_live_children ON entries(vault, parent_id, name_tag, deleted, entry_id) WHERE deleted = 0;
        -- The trash, newest deletion first, and retention's expired tombstones.
        CREATE INDEX entries_trash ON entries(vault, rev, entry_id) WHERE deleted = 1;

        CREATE TABLE revisions_new (
            id INTEGER PRIMARY KEY,
            vault INTEGER NOT NULL REFERENCES vaults(id) ON DELETE CASCADE,
            -- entries.id of the entry.
            entry INTEGER NOT NULL,
            rev INTEGER NOT NULL CHECK (rev >= 1),
            parent_id BLOB NOT NULL CHECK (length(parent_id) = 16),
            kind INTEGER NOT NULL CHECK (kind IN (1, 2, 3)),
            name_tag BLOB NOT NULL CHECK (length(name_tag) = 32),
            deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
            record BLOB NOT NULL,
            created INTEGER NOT NULL,
            UNIQUE (entry, rev)
        ) STRICT;
        -- Revisions of entries that no longer exist (none in a consistent store) cannot be
        -- reached by any query and are not carried over.
        INSERT INTO revisions_new (id, vault, entry, rev, parent_id, kind, name_tag, deleted, record, created)
        SELECT r.id, r.vault, e.id, r.rev, r.parent_id, r.kind, r.name_tag, r.deleted, r.record, r.created
        FROM revisions r JOIN entries e ON e.vault = r.vault AND e.entry_id = r.entry_id;

        CREATE TABLE revision_blobs_saved AS SELECT revision, vault, hash, occurrences FROM revision_blobs;
        DROP TABLE revision_blobs;
        DROP TABLE revisions;
        ALTER TABLE revisions_new RENAME TO revisions;
        -- Retention: revisions written before the cutoff. The UNIQUE constraint's index serves
        -- an entry's history and "the next revision of this entry".
        CREATE INDEX revisions_by_age ON revisions(vault, created);

        -- (vault, hash) names a row of blobs: the triggers below check it and count it in blobs.refs.
        CREATE TABLE revision_blobs (
            revision INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
            vault INTEGER NOT NULL,
            hash BLOB NOT NULL,
            -- How often the commit listed the blob for this revision (for logical sizes).
            occurrences INTEGER NOT NULL CHECK (occurrences >= 1),
            PRIMARY KEY (revision, hash)
        ) STRICT, WITHOUT ROWID;
        INSERT INTO revision_blobs (revision, vault, hash, occurrences)
        SELECT s.revision, s.vault, s.hash, s.occurrences FROM revision_blobs_saved s
        WHERE EXISTS (SELECT 1 FROM revisions r WHERE r.id = s.revision);
        DROP TABLE revision_blobs_saved;

        -- How many revision_blobs rows name the blob; GC and pruning take only blobs at 0.
        ALTER TABLE blobs ADD COLUMN refs INTEGER NOT NULL DEFAULT 0 CHECK (refs >= 0);
        UPDATE blobs SET refs = counted.n
        FROM (SELECT vault, hash, count(*) AS n FROM revision_blobs GROUP BY vault, hash) AS counted
        WHERE blobs.vault = counted.vault AND blobs.hash = counted.hash;
        -- changes() in a trigger is the count of its own last statement
        -- (https://sqlite.org/lang_corefunc.html#changes): 0 when the vault records no such blob.
        CREATE TRIGGER revision_blobs_count AFTER INSERT ON revision_blobs
        BEGIN
            UPDATE blobs SET refs = refs + 1 WHERE vault = new.vault AND hash = new.hash;
            SELECT RAISE(ABORT, 'revision_blobs names a blob its vault does not record') WHERE changes() = 0;
        END;
        CREATE TRIGGER revision_blobs_uncount AFTER DELETE ON revision_blobs
        BEGIN
            UPDATE blobs SET refs = refs - 1 WHERE vault = old.vault AND hash = old.hash;
        END;
        -- A vault's deletion removes the vault row before its cascades run, so its blobs may go
        -- before its revisions do.
        CREATE TRIGGER blobs_keep_referenced BEFORE DELETE ON blobs
        WHEN old.refs > 0 AND EXISTS (SELECT 1 FROM vaults WHERE id = old.vault)
        BEGIN
            SELECT RAISE(ABORT, 'a blob that revisions reference cannot be deleted');
        END;
        """
}
