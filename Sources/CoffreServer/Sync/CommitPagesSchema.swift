import SQLiteStore

/// Migration 0006 of `ServerDatabase`: two indexes that every commit wrote a page of and that no
/// hot query needs (docs/performance.md, "WebDAV gateway", "Small PUTs: fewer WAL pages per
/// commit", has the page counts). In WAL mode each page a transaction changes is one more
/// 4 KiB frame written and synced before the commit is answered (https://sqlite.org/wal.html),
/// so a B-tree dropped is a frame less for every commit that touched it.
///
/// - `blobs_by_age (created)`: no statement reads it. Garbage collection walks the `blobs`
///   primary key in windows and filters `created` and `refs` there (`garbageCandidates`), and
///   the delete re-checks one row by its key. Yet every carried blob refreshed its `created`,
///   which moved its entry in this index: one page per commit carrying a blob.
/// - `commits_by_seq (vault, seq)`: it served only "forget the commit ids beyond the last N",
///   run by every commit (a page for the new row, and once N commits exist a page at each
///   end of the index and one in the table for the row forgotten). Commits now forget in
///   batches (`SyncStore.forgetsCommitIDs`), one pass over the vault's remembered ids every
///   `N / 10` commits, which needs no index; ids are kept for at least the last N commits.
///
/// Nothing else changes: no table is rebuilt, so the migration is two catalog edits whatever
/// the size of the database (https://sqlite.org/lang_dropindex.html). `IF EXISTS`: the end
/// state is what matters, also for a file whose `user_version` was set back by hand.
enum CommitPagesSchema {
    /// The migration.
    static let migration = Migration(version: 6, name: "commit-pages", sql: sql)

    static let sql = """
        DROP INDEX IF EXISTS blobs_by_age;
        DROP INDEX IF EXISTS commits_by_seq;
        """
}
