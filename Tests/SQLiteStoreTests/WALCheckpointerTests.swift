import Foundation
import Testing

@testable import SQLiteStore

/// `WALCheckpointer`: checkpoints leave the commit path, and the log stays bounded however many
/// commits come, including while a reader holds an old snapshot.
@Suite struct WALCheckpointerTests {
    /// 8 frames schedule a passive pass, 32 a restart, 64 make the commit wait.
    static let policy = WALCheckpointPolicy(
        passiveFrames: 8, restartFrames: 32, blockingFrames: 64, restartWaitMilliseconds: 20)
    /// The most frames one test commit writes: four 4 KiB rows, their overflow pages and the
    /// B-tree pages above them.
    static let framesPerCommit = 16

    func makeQueue(_ dir: TemporaryDirectory) throws -> DatabaseQueue {
        var options = Connection.Options()
        options.synchronous = .normal
        return try DatabaseQueue(
            path: dir.path("a.db"), options: options, readerCount: 1,
            migrator: try Migrator([Migration(version: 1, name: "t", sql: "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);")]),
            checkpointing: Self.policy)
    }

    func commit(_ db: DatabaseQueue, rows: Int = 4) throws {
        try db.write { conn in
            for _ in 0..<rows { try conn.execute("INSERT INTO t(v) VALUES (randomblob(4000))") }
        }
    }

    func walBytes(_ dir: TemporaryDirectory) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.path("a.db") + "-wal")
        return (attributes[.size] as? Int) ?? -1
    }

    @Test func theLogStaysBoundedUnderContinuousCommits() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try makeQueue(dir)
        let checkpointer = try #require(db.checkpointer)
        for _ in 0..<300 { try commit(db) }
        checkpointer.waitUntilIdle()

        let stats = checkpointer.statistics
        #expect(stats.passive > 0 && stats.failures == 0, "\(stats)")
        #expect(stats.longestLog < Self.policy.blockingFrames + Self.framesPerCommit, "\(stats)")
        // The file is reused from its start after each restart: it never holds more frames
        // than the longest log (https://sqlite.org/fileformat.html#the_write_ahead_log: a
        // 32-byte header, then 24 bytes and one page per frame).
        #expect(try walBytes(dir) <= 32 + stats.longestLog * (24 + 4096))

        // Whether the steady commits above needed a RESTART depends on timing: when each
        // passive pass finishes before the next commit, SQLite rewinds the log by itself
        // (https://sqlite.org/wal.html#checkpointing; a starved test thread in a full run does
        // that). A commit that leaves the log past `blockingFrames` always gets one, run on
        // the committing thread: 100 rows of 4,000 bytes are at least 100 pages.
        try commit(db, rows: 100)
        checkpointer.waitUntilIdle()
        let after = checkpointer.statistics
        #expect(after.restarts > stats.restarts && after.blockingRestarts > stats.blockingRestarts, "\(after)")
        #expect(after.failures == 0, "\(after)")
        #expect(try db.read { try $0.fetchValue("SELECT count(*) FROM t", as: Int64.self) } == 1_300)
        #expect(try db.read { try $0.integrityCheck() }.isEmpty)
    }

    @Test func aReaderHoldingAnOldSnapshotDelaysTheRestartWithoutBlockingCommits() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try makeQueue(dir)
        let checkpointer = try #require(db.checkpointer)
        try commit(db)

        // A reader in a transaction keeps the frames of its snapshot needed: no checkpoint can
        // restart the log past them, so restarts end busy, and commits still land.
        var readOnly = Connection.Options()
        readOnly.access = .readOnly
        let reader = try Connection(path: dir.path("a.db"), options: readOnly)
        try reader.execute("BEGIN")
        #expect(try reader.fetchValue("SELECT count(*) FROM t", as: Int64.self) == 4)
        for _ in 0..<30 { try commit(db) }
        checkpointer.waitUntilIdle()
        #expect(checkpointer.statistics.busy > 0)
        #expect(try reader.fetchValue("SELECT count(*) FROM t", as: Int64.self) == 4)
        try reader.execute("COMMIT")

        // Once it is gone, the log starts over and stays short again.
        for _ in 0..<20 { try commit(db) }
        checkpointer.waitUntilIdle()
        let probe = try Connection(path: dir.path("a.db"))
        #expect(try probe.checkpoint(.passive).logFrames < Self.policy.blockingFrames + Self.framesPerCommit)
        #expect(try db.read { try $0.fetchValue("SELECT count(*) FROM t", as: Int64.self) } == 204)
    }

    @Test func thresholdsOutOfOrderAreRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bad = [
            WALCheckpointPolicy(passiveFrames: 0, restartFrames: 10, blockingFrames: 20),
            WALCheckpointPolicy(passiveFrames: 20, restartFrames: 10, blockingFrames: 30),
            WALCheckpointPolicy(passiveFrames: 1, restartFrames: 30, blockingFrames: 20),
            WALCheckpointPolicy(passiveFrames: 1, restartFrames: 2, blockingFrames: 3, restartWaitMilliseconds: -1),
        ]
        for policy in bad {
            #expect(throws: SQLiteError.self, "\(policy)") {
                _ = try DatabaseQueue(path: dir.path("a.db"), readerCount: 1, checkpointing: policy)
            }
        }
    }

    @Test func withoutAPolicyCommitsCheckpointAsSQLiteDoes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try DatabaseQueue(path: dir.path("a.db"), readerCount: 1)
        #expect(db.checkpointer == nil)
        #expect(try db.write { try $0.fetchValue("PRAGMA wal_autocheckpoint", as: Int64.self) } == 1_000)
    }
}
