import SQLiteStore

/// The server's metadata database, `DATA/coffred.db`: one `DatabaseQueue` (one writer, a few
/// readers; see docs/storage-sqlite.md) migrated to the newest schema when opened.
///
/// `migrations` is the ordered list of every schema step of the server, embedded in the binary
/// as Swift string constants so nothing needs to be found on disk at run time.
public final class ServerDatabase: Sendable {
    /// File name inside the data directory.
    public static let fileName = "coffred.db"

    /// Every migration, in order: 0001 accounts, 0002 sync, 0003 blob charges (quota).
    public static let migrations: [Migration] = [
        AccountsSchema.migration, SyncSchema.migration, BlobChargeSchema.migration,
    ]

    /// The queue every query goes through.
    public let queue: DatabaseQueue

    /// Opens (creating if needed) and migrates the database at `path`.
    ///
    /// Throws `SQLiteError`, e.g. `.databaseTooNew` when the file was written by a newer coffred.
    public init(path: String, readerCount: Int = 4) throws {
        queue = try DatabaseQueue(
            path: path, options: Self.connectionOptions, readerCount: readerCount, migrator: try Migrator(Self.migrations))
    }

    /// Every connection's settings: WAL and `synchronous=FULL` (an acknowledged commit is
    /// durable), plus a larger page cache and a rarer automatic checkpoint than SQLite's
    /// defaults (docs/performance.md, "Sync API", has the measurements behind the values):
    /// - a commit of 1,000 new entries touches pages all over four indexes; with SQLite's
    ///   2 MiB cache they are read again from the OS for every commit, and the feed of a large
    ///   vault misses the cache on most record lookups;
    /// - the same commit dirties more than the default 1,000-page WAL threshold, so every commit
    ///   ran a checkpoint (a copy of its pages into the database file plus an fsync) before it
    ///   could answer.
    /// Pages are allocated as used, so a small database keeps a small footprint.
    static var connectionOptions: Connection.Options {
        var options = Connection.Options()
        options.cacheSizeKibibytes = cacheSizeKibibytes
        options.walAutocheckpointPages = walAutocheckpointPages
        return options
    }

    /// Page cache per connection (writer and each reader), in KiB: 64 MiB.
    static let cacheSizeKibibytes: Int? = 65_536
    /// WAL pages (4 KiB each) that trigger a checkpoint at commit: about 40 MiB of WAL.
    static let walAutocheckpointPages: Int? = 10_000

    /// Opens `coffred.db` in the data directory.
    public convenience init(dataDirectory: DataDirectory, readerCount: Int = 4) throws {
        try self.init(path: dataDirectory.file(Self.fileName), readerCount: readerCount)
    }
}
