import SQLiteStore

/// The server's metadata database, `DATA/coffred.db`: one `DatabaseQueue` (one writer, a few
/// readers; see docs/storage-sqlite.md) migrated to the newest schema when opened.
///
/// `migrations` is the ordered list of every schema step of the server, embedded in the binary
/// as Swift string constants so nothing needs to be found on disk at run time.
public final class ServerDatabase: Sendable {
    /// File name inside the data directory.
    public static let fileName = "coffred.db"

    /// Every migration, in order: 0001 accounts, 0002 sync, 0003 blob charges (quota), 0004 the
    /// sync tables keyed in commit order, 0005 small blobs' bytes in the database, 0006 two indexes
    /// fewer for commits to write.
    public static let migrations: [Migration] = [
        AccountsSchema.migration, SyncSchema.migration, BlobChargeSchema.migration, CommitOrderSchema.migration,
        InlineBlobSchema.migration, CommitPagesSchema.migration,
    ]

    /// The queue every query goes through.
    public let queue: DatabaseQueue

    /// Opens (creating if needed) and migrates the database at `path`.
    ///
    /// Throws `SQLiteError`, e.g. `.databaseTooNew` when the file was written by a newer coffred.
    public init(path: String, readerCount: Int = 4) throws {
        queue = try DatabaseQueue(
            path: path, options: Self.connectionOptions, readerCount: readerCount, migrator: try Migrator(Self.migrations),
            checkpointing: Self.checkpointing)
    }

    /// Every connection's settings: WAL and `synchronous=FULL` (an acknowledged commit is
    /// durable), plus a larger page cache than SQLite's 2 MiB (docs/performance.md, "Sync API",
    /// has the measurements): a commit of 1,000 new entries touches pages all over the indexes,
    /// and the feed of a large vault would miss the cache on most record lookups. Pages are
    /// allocated as used, so a small database keeps a small footprint.
    static var connectionOptions: Connection.Options {
        var options = Connection.Options()
        options.cacheSizeKibibytes = cacheSizeKibibytes
        return options
    }

    /// Page cache per connection (writer and each reader), in KiB: 64 MiB.
    static let cacheSizeKibibytes: Int? = 65_536

    /// Checkpoints run in the background, not by the commit that crosses SQLite's threshold
    /// (docs/performance.md, "Sync API", "Commit throughput"): a commit of 1,000 entries writes
    /// about 10 MiB of log. A PASSIVE pass from 8 MiB of log, a RESTART from 64 MiB, and a
    /// commit waits for the RESTART only past 256 MiB.
    static let checkpointing = WALCheckpointPolicy(passiveFrames: 2_000, restartFrames: 16_000, blockingFrames: 64_000)

    /// Opens `coffred.db` in the data directory.
    public convenience init(dataDirectory: DataDirectory, readerCount: Int = 4) throws {
        try self.init(path: dataDirectory.file(Self.fileName), readerCount: readerCount)
    }
}
