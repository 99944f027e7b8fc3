import CoffreProtocol
import Foundation
import SQLiteStore

/// The local index of one synced folder (DESIGN §8): the remote and synced trees, the feed
/// cursor, pending commits and the chunk cache, in SQLite at `<root>/.coffre/index.db`
/// (docs/sync-client.md, "The index", says why there).
///
/// WAL with `synchronous=NORMAL` (https://sqlite.org/pragma.html#pragma_synchronous): a power
/// loss may lose the last transactions but never corrupts, and everything here can be
/// rebuilt from the server and the folder. Writes run in one transaction per batch, never per
/// file. All calls are async; the SQLite work runs on the database queue's Dispatch threads.
final class SyncIndex: Sendable {
    /// File name of the index inside the state folder.
    static let fileName = "index.db"

    let queue: DatabaseQueue
    /// Holds the folder lock for as long as the index is open.
    private let stateFolder: SyncStateFolder

    /// Every connection's settings: WAL with `synchronous=NORMAL`, and a page cache and WAL
    /// threshold above SQLite's 2 MiB and 1,000 pages (https://sqlite.org/pragma.html#pragma_cache_size,
    /// #pragma_wal_autocheckpoint). Rows are keyed by random entry ids, so a commit of 1,000
    /// entries touches pages all over the tables: with the defaults, A's pass over 10,000 new
    /// files made 71,502 pwrite(2) and 59,804 pread(2) calls (strace -c), pages evicted and read
    /// back, and checkpoints every transaction or two. Pages are allocated as used: a small
    /// index keeps a small footprint.
    static var connectionOptions: Connection.Options {
        var options = Connection.Options(synchronous: .normal, statementCacheCapacity: 96)
        options.cacheSizeKibibytes = 32_768
        options.walAutocheckpointPages = 8_000
        return options
    }

    /// Opens (creating and migrating) the index of `root` for `vault`, taking the folder
    /// lock. Blocking: call it off the cooperative pool.
    init(root: SyncRoot, vault: VaultID) throws(SyncClientError) {
        stateFolder = try SyncStateFolder(root: root)
        do {
            queue = try DatabaseQueue(
                path: stateFolder.file(Self.fileName),
                options: Self.connectionOptions,
                readerCount: 2, migrator: try Migrator(SyncIndexSchema.migrations))
            let stored = try queue.write { db -> [UInt8]? in
                if let vaultID = try db.fetchValue("SELECT vault_id FROM state WHERE id = 1", as: [UInt8].self) {
                    return vaultID
                }
                try db.execute(
                    "INSERT INTO state (id, vault_id, cursor, highest_seq) VALUES (1, ?, 0, 0)", [vault.bytes])
                return vault.bytes
            }
            guard stored == vault.bytes else { throw SyncClientError.indexBelongsToAnotherVault }
        } catch let error as SyncClientError {
            throw error
        } catch {
            throw .index(operation: "open", underlying: error)
        }
    }

    /// Runs `body` in a write transaction; errors become `SyncClientError.index`.
    func write<Result: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (Connection) throws -> Result
    ) async throws(SyncClientError) -> Result {
        do {
            return try await queue.write(body)
        } catch let error as SyncClientError {
            throw error
        } catch {
            throw .index(operation: operation, underlying: error)
        }
    }

    /// Runs `body` in a read transaction (one snapshot); errors become `SyncClientError.index`.
    func read<Result: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (Connection) throws -> Result
    ) async throws(SyncClientError) -> Result {
        do {
            return try await queue.read(body)
        } catch let error as SyncClientError {
            throw error
        } catch {
            throw .index(operation: operation, underlying: error)
        }
    }

    // MARK: Feed position

    /// The feed cursor and the highest seq ever seen (never lowered, except by a full resync).
    func feedPosition() async throws(SyncClientError) -> (cursor: Int64, highestSeq: Int64) {
        try await read("read the feed position") { db in
            try db.fetchOne("SELECT cursor, highest_seq FROM state WHERE id = 1") { row in
                (try row.int64(at: 0), try row.int64(at: 1))
            } ?? (0, 0)
        }
    }

    /// Notes the end of a pass that found both sides identical.
    func recordSyncTime(_ time: Date) async throws(SyncClientError) {
        let seconds = Int64(time.timeIntervalSince1970)
        try await write("record the sync time") { db in
            try db.execute("UPDATE state SET last_sync = ? WHERE id = 1", [seconds])
        }
    }

    /// Counts for the status: pending commits, remote changes not applied, synced entries, and
    /// the last time both sides were identical.
    func statusCounts() async throws(SyncClientError) -> (pendingCommits: Int, remoteChanges: Int, syncedEntries: Int, lastSync: Date?) {
        try await read("read the status") { db in
            let pending = try db.fetchValue("SELECT count(*) FROM pending_commits", as: Int.self) ?? 0
            let dirty = try db.fetchValue("SELECT count(*) FROM remote WHERE dirty = 1", as: Int.self) ?? 0
            let synced = try db.fetchValue("SELECT count(*) FROM synced", as: Int.self) ?? 0
            let last = try db.fetchValue("SELECT last_sync FROM state WHERE id = 1", as: Int64?.self) ?? nil
            return (pending, dirty, synced, last.map { Date(timeIntervalSince1970: TimeInterval($0)) })
        }
    }
}
