@testable import CoffreClient
import CoffreProtocol
import Foundation
import Synchronization
import Testing

/// A large file's groups of blobs upload several at once while sealing goes on, bounded by
/// `UploadWindow` (count and bytes); a batch failing while others are in flight fails the pass
/// with nothing committed, and the next pass resumes.
@Suite struct SyncUploadWindowTests {
    /// Forwards to the in-process remote; batch uploads are held until `holdUntil` run at once
    /// (then none is held), count how many run at once, and the `failing`-th one throws.
    final class GatedRemote: ForwardingRemote {
        /// Batches running at once before the first is let through: more than the old window
        /// of three, fewer than a 3 MiB file's groups of 16 small chunks.
        static let overlap = 4

        let inner: InProcessRemote
        let failing: Int?
        let holdUntil: Int
        /// Batches started, running now, the most running at once, commits sent.
        let state = Mutex((started: 0, running: 0, most: 0, commits: 0))

        struct BatchRefused: Error {}

        init(_ inner: InProcessRemote, failing: Int? = nil, holdUntil: Int = overlap) {
            self.inner = inner
            self.failing = failing
            self.holdUntil = holdUntil
        }

        func putBlobs(_ blobs: [BlobPayload]) async throws {
            let number = state.withLock { state in
                state.started += 1
                state.running += 1
                state.most = max(state.most, state.running)
                return state.started
            }
            defer { state.withLock { $0.running -= 1 } }
            // The sealer goes on while these wait, so the window fills to `holdUntil`.
            while state.withLock({ $0.most < holdUntil }) { await Task.yield() }
            if number == failing { throw BatchRefused() }
            try await inner.putBlobs(blobs)
        }

        func commit(_ request: CommitRequest) async throws -> RemoteCommitOutcome {
            state.withLock { $0.commits += 1 }
            return try await inner.commit(request)
        }
    }

    func engine(_ world: SyncWorld, _ tree: TemporaryTree, _ remote: any SyncRemote) async throws -> SyncEngine {
        var configuration = SyncConfiguration(folder: tree.path, deviceName: "alpha")
        configuration.chunkingParameters = SyncWorld.smallChunks
        configuration.pipelineWorkers = 2
        return try await SyncEngine(configuration: configuration, remote: remote, openGrant: world.grantOpener)
    }

    @Test func windowBoundsGroupsAndBytes() {
        var window = UploadWindow(groupLimit: 3, byteLimit: 100)
        #expect(!window.mustWait(beforeStarting: 500), "the first group goes, however large")
        window.started(40)
        window.started(40)
        #expect(!window.mustWait(beforeStarting: 20))
        #expect(window.mustWait(beforeStarting: 21), "past the byte limit")
        window.started(20)
        #expect(window.mustWait(beforeStarting: 0), "at the group limit")
        window.finished(40)
        #expect(!window.mustWait(beforeStarting: 40))
        window.finished(40)
        window.finished(20)
        #expect(window.groups == 0 && window.bytes == 0)
        // Limits below one are taken as one: a window always lets a group through.
        let closed = UploadWindow(groupLimit: 0, byteLimit: 0)
        #expect(closed.groupLimit == 1 && closed.byteLimit == 1 && !closed.mustWait(beforeStarting: 10))
    }

    @Test func groupsOverlapUpToTheWindow() async throws {
        let world = try await SyncWorld()
        let remote = GatedRemote(world.remote())
        let tree = try TemporaryTree()
        // About 3 MiB in chunks of at most 64 KiB: far more groups of 16 than the window holds.
        let content = SyncEngineTests.pseudoRandom(3 << 20, seed: 91)
        try tree.write("big.bin", bytes: content)
        let report = try await engine(world, tree, remote).syncOnce()
        #expect(report.uploadedFiles == 1)
        let (started, most) = remote.state.withLock { ($0.started, $0.most) }
        #expect(started > ContentSealer.uploadGroupsInFlight)
        #expect(most >= GatedRemote.overlap, "more groups in flight than the old window of three")
        #expect(most <= ContentSealer.uploadGroupsInFlight)
        let beta = try await world.device("beta")
        try await beta.sync()
        #expect(try beta.contents() == TreeItem.read(tree.path))
    }

    @Test func aBatchFailingWhileOthersAreInFlightFailsThePassAndTheNextResumes() async throws {
        let world = try await SyncWorld()
        let tree = try TemporaryTree()
        try tree.write("big.bin", bytes: SyncEngineTests.pseudoRandom(3 << 20, seed: 92))
        let failing = GatedRemote(world.remote(), failing: 4)
        do {
            let first = try await engine(world, tree, failing)
            // The pass fails with the upload's error, named as such.
            do {
                _ = try await first.syncOnce()
                Issue.record("the pass went through a refused batch")
            } catch SyncClientError.remote(let operation, let underlying) {
                #expect(operation == "upload blobs")
                #expect(underlying is GatedRemote.BatchRefused)
            }
        }
        // The refused batch ran beside others, none is left running, and no commit went out
        // for the file whose blobs were not all acknowledged.
        let (most, running) = failing.state.withLock { ($0.most, $0.running) }
        #expect(most >= GatedRemote.overlap)
        #expect(running == 0)
        #expect(try await world.liveEntries().isEmpty)
        #expect(failing.state.withLock { $0.commits } == 0)

        // The next pass (a new engine on the same folder and index) uploads the rest, what
        // the refused pass left behind however few batches that is (none held).
        let healthy = GatedRemote(world.remote(), holdUntil: 0)
        let second = try await reopen(world, tree, healthy)
        let resumed = try await second.syncOnce()
        #expect(resumed.conflicts.isEmpty && resumed.skipped.isEmpty)
        #expect(try await world.liveEntries().count == 1)
        let beta = try await world.device("beta")
        try await beta.sync()
        #expect(try beta.contents() == TreeItem.read(tree.path))
        #expect(try await second.syncOnce().isIdentical)
    }

    /// A new engine on the folder, waiting for the dropped one's folder lock (as
    /// `SyncDevice.restart` does).
    func reopen(_ world: SyncWorld, _ tree: TemporaryTree, _ remote: any SyncRemote) async throws -> SyncEngine {
        for attempt in 1...500 {
            do {
                return try await engine(world, tree, remote)
            } catch SyncClientError.folderBusy where attempt < 500 {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        throw SyncClientError.folderBusy
    }
}
