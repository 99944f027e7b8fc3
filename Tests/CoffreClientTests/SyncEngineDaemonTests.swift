@testable import CoffreClient
import CoffreProtocol
import Foundation
import Testing

/// `run()`: local changes picked up by the watcher, remote ones by the long-polled feed.
@Suite struct SyncEngineDaemonTests {
    /// Polls `condition` until it holds; the limit only guards against a hang, it is not a
    /// speed requirement.
    static func eventually(_ what: Comment, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<600 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("gave up waiting: \(what)")
    }

    @Test func theDaemonFollowsBothSides() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta") { configuration in
            configuration.debounce = .milliseconds(50)
            configuration.longPollWait = .seconds(5)
            configuration.watcherOptions.quietPeriod = .milliseconds(50)
        }
        let engine = try #require(beta.engine)
        let daemon = Task { try await engine.run() }
        defer { daemon.cancel() }

        // Remote → local: a commit wakes the long poll.
        try alpha.tree.write("from-alpha.txt", "hello beta")
        try await alpha.sync()
        try await Self.eventually("alpha's file reaches beta") { beta.tree.exists("from-alpha.txt") }
        #expect(try beta.tree.read("from-alpha.txt") == "hello beta")

        // Local → remote: the watcher sees a new file.
        try beta.tree.write("from-beta.txt", "hello alpha")
        try await Self.eventually("beta's file reaches the vault") { try await world.liveEntries().count == 2 }
        try await alpha.sync()
        #expect(try alpha.tree.read("from-beta.txt") == "hello alpha")

        try await Self.eventually("the daemon settles") {
            let status = try await engine.status()
            return status.state == .idle && status.lastReport?.isIdentical == true && status.pendingCommits == 0
        }
        let status = try await engine.status()
        #expect(status.syncedEntries == 2 && status.remoteChangesWaiting == 0 && status.lastSync != nil)
        daemon.cancel()
        _ = await daemon.result
    }
}
