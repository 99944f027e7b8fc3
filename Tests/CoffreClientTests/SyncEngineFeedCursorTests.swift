@testable import CoffreClient
import CoffreProtocol
import Foundation
import Synchronization
import Testing

/// A commit's receipt moves the feed cursor past it when nothing else landed since the cursor
/// (`SyncIndex.completePendingCommit`): a device does not read its own commits back from the
/// feed, and a commit of another device that landed in between is still read.
@Suite struct SyncEngineFeedCursorTests {
    /// Counts the entries the feed hands a device.
    final class FeedCounter: Sendable {
        private let entries = Mutex<[EntryID]>([])

        var received: [EntryID] { entries.withLock { $0 } }

        /// Installs the counter on `remote`'s feed.
        func watch(_ remote: InProcessRemote) {
            remote.tamperPage.withLock {
                $0 = { page in
                    self.entries.withLock { $0 += page.entries.map(\.entryId) }
                    return page
                }
            }
        }
    }

    static func vaultSeq(_ world: SyncWorld) async throws -> Int64 {
        try await world.remote().vaultState().seq
    }

    @Test func ownCommitsMoveTheCursorWithoutBeingReadBack() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha") { $0.commitBatchSize = 4 }
        let feed = FeedCounter()
        feed.watch(alpha.remote)
        try SyncEngineCommitPipelineTests.writeTree(alpha.tree)

        let report = try await alpha.sync()
        #expect(report.isIdentical)
        #expect(report.remoteChanges == SyncEngineCommitPipelineTests.entryCount)
        #expect(feed.received.isEmpty, "the device read its own commits back from the feed")
        let seq = try await Self.vaultSeq(world)
        #expect(seq == Int64(SyncEngineCommitPipelineTests.entryCount / 4))
        let position = try await #require(alpha.engine).index.feedPosition()
        #expect(position.cursor == seq && position.highestSeq == seq)

        // The feed is whole for a device that reads it: beta gets every entry.
        let beta = try await world.device("beta")
        #expect(try await beta.sync().isIdentical)
        #expect(try beta.contents() == alpha.contents())
        // Beta's edit comes to alpha through the feed, from the cursor the receipts left.
        try beta.tree.write("f0/n1.bin", "edited on beta")
        try await beta.sync()
        #expect(try await alpha.sync().isIdentical)
        #expect(try alpha.tree.read("f0/n1.bin") == "edited on beta")
        #expect(feed.received.count == 1)
    }

    @Test func aCommitOfAnotherDeviceInBetweenIsReadFromTheFeed() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        try alpha.tree.write("shared.txt", "s")
        try await alpha.sync()
        try await beta.sync()
        let feed = FeedCounter()
        feed.watch(beta.remote)

        try alpha.tree.write("from-alpha.txt", "a")
        try beta.tree.write("from-beta.txt", "b")
        // Alpha's commit lands after beta's pull and before beta's commit: beta's lands at
        // cursor + 2, so its receipt must not move the cursor over alpha's.
        let alphaEngine = try #require(alpha.engine)
        beta.remote.beforeNextCommit.withLock { $0 = { _ = try await alphaEngine.syncOnce() } }
        let report = try await beta.sync()
        #expect(report.isIdentical)
        #expect(try beta.tree.read("from-alpha.txt") == "a")
        #expect(report.downloadedFiles == 1, "beta's own file came back from the feed as a change")
        let names = Set(feed.received)
        #expect(names.count == 2, "the feed after beta's cursor held alpha's commit and beta's own")
        let seq = try await Self.vaultSeq(world)
        #expect(try await #require(beta.engine).index.feedPosition().cursor == seq)

        #expect(try await alpha.sync().isIdentical)
        #expect(try alpha.contents() == beta.contents())
    }

    @Test func aResentCommitThatLandedMovesTheCursorOnlyOverItself() async throws {
        let world = try await SyncWorld()
        // Alpha stops right after its commit landed, before it wrote the receipt down.
        let alpha = try await world.device("alpha") { configuration in
            configuration.faultHook = SyncEngineCommitPipelineTests.crash(at: .afterCommitLanded, occurrence: 1)
        }
        let beta = try await world.device("beta")
        try alpha.tree.write("first.txt", "1")
        await #expect(throws: SyncEngineCrashTests.SimulatedCrash.self) { try await alpha.sync() }
        // Beta commits after it: the resent commit's replayed receipt (seq 1) moves alpha's
        // cursor from 0 to 1, not over beta's commit at 2.
        try beta.tree.write("second.txt", "2")
        try await beta.sync()
        try await alpha.restart()
        let report = try await alpha.sync()
        #expect(report.isIdentical)
        #expect(try alpha.tree.read("second.txt") == "2")
        #expect(try alpha.contents() == beta.contents())
        let seq = try await Self.vaultSeq(world)
        #expect(try await #require(alpha.engine).index.feedPosition().cursor == seq)
    }
}
