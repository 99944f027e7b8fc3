import CoffreProtocol
import SQLiteStore

/// The sync engine's storage core (DESIGN §7): vaults and their members and keys, the blobs each
/// vault holds, commits, the changes feed with long-poll, history, trash, retention, GC planning
/// and statistics, over the server's SQLite database.
///
/// Every user-facing call takes the acting user's id and checks membership and role inside the
/// same transaction as the work, so a member removed a moment ago cannot slip one more write in.
/// A vault the user is not a member of answers `SyncError.vaultNotFound`, exactly like a vault
/// that does not exist. Writes run on the database's single writer queue, reads on its readers;
/// callers are suspended, never blocked. Operator calls (statistics, GC, pruning, consistency)
/// take no user: the admin API authenticates its caller.
public final class SyncStore: Sendable {
    /// The server database, migrated through `SyncSchema.migration` (0002).
    public let database: ServerDatabase
    /// Bounds on requests.
    public let limits: SyncLimits
    /// How long history and trash are kept.
    public let retention: RetentionPolicy
    /// Wakes long-poll waiters when a commit lands.
    let notifier: ChangeNotifier
    /// Unix seconds; tests pass a clock they move by hand.
    let clock: ServerClock

    /// A store over `database`.
    public init(
        database: ServerDatabase, limits: SyncLimits = SyncLimits(), retention: RetentionPolicy = RetentionPolicy(),
        clock: ServerClock = .system
    ) {
        self.database = database
        self.limits = limits
        self.retention = retention
        self.notifier = ChangeNotifier(maxWaiters: limits.maxWaiters)
        self.clock = clock
    }

    /// Runs `body` in the writer's IMMEDIATE transaction; every error becomes a `SyncError`.
    func write<Result: Sendable>(
        _ body: @escaping @Sendable (Connection) throws -> Result
    ) async throws(SyncError) -> Result {
        do {
            return try await database.queue.write(body)
        } catch {
            throw SyncError.from(error)
        }
    }

    /// Runs `body` in a read transaction (one snapshot); every error becomes a `SyncError`.
    func read<Result: Sendable>(
        _ body: @escaping @Sendable (Connection) throws -> Result
    ) async throws(SyncError) -> Result {
        do {
            return try await database.queue.read(body)
        } catch {
            throw SyncError.from(error)
        }
    }
}
