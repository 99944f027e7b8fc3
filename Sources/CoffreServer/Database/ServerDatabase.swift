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
        queue = try DatabaseQueue(path: path, readerCount: readerCount, migrator: try Migrator(Self.migrations))
    }

    /// Opens `coffred.db` in the data directory.
    public convenience init(dataDirectory: DataDirectory, readerCount: Int = 4) throws {
        try self.init(path: dataDirectory.file(Self.fileName), readerCount: readerCount)
    }
}
