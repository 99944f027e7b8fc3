@testable import CoffreClient
import CoffreProtocol
import Foundation
import Synchronization
import Testing

/// Commits in several batches, the next batch sealed and uploaded while one is committed
/// (`LocalPublisher`): commits still go out one at a time, in order, each only once every blob
/// it references is acknowledged, and a pass stopped between batches resumes.
@Suite struct SyncEngineCommitPipelineTests {
    /// Four folders of five files (one of them several chunks long): 24 entries, commits of 4.
    static func writeTree(_ tree: TemporaryTree) throws {
        for folder in 0..<4 {
            try tree.folder("f\(folder)")
            for file in 0..<5 {
                let size = file == 0 ? 40_000 : 1_000 + folder * 10 + file
                try tree.write("f\(folder)/n\(file).bin", bytes: SyncEngineTests.pseudoRandom(size, seed: UInt64(folder * 10 + file)))
            }
        }
    }

    static let entryCount = 24

    @Test func commitsGoOneAtATimeAfterTheirBlobs() async throws {
        let world = try await SyncWorld()
        let recorder = RecordingRemote(world.remote())
        let tree = try TemporaryTree()
        var configuration = SyncConfiguration(folder: tree.path, deviceName: "alpha")
        configuration.chunkingParameters = SyncWorld.smallChunks
        configuration.pipelineWorkers = 2
        configuration.commitBatchSize = 4
        let engine = try await SyncEngine(configuration: configuration, remote: recorder, openGrant: world.grantOpener)
        try Self.writeTree(tree)

        let report = try await engine.syncOnce()
        #expect(report.skipped.isEmpty && report.conflicts.isEmpty)
        #expect(report.uploadedFiles == 20)
        let events = recorder.events
        let commits = events.filter { if case .commitSent = $0 { true } else { false } }
        #expect(commits.count == Self.entryCount / 4)
        var acknowledged: Set<BlobID> = []
        var inFlight = false
        for event in events {
            switch event {
            case .blobsAcknowledged(let ids): acknowledged.formUnion(ids)
            case .commitSent(let blobs):
                #expect(!inFlight, "a commit was sent before the one before it was answered")
                #expect(blobs.allSatisfy(acknowledged.contains), "a commit referenced a blob not yet acknowledged")
                inFlight = true
            case .commitAnswered: inFlight = false
            }
        }
        let live = try await world.liveEntries()
        #expect(live.count == Self.entryCount)
        let beta = try await world.device("beta")
        try await beta.sync()
        #expect(try beta.contents() == TreeItem.read(tree.path))
        #expect(try await engine.syncOnce().isIdentical)
    }

    @Test(arguments: [SyncFaultPoint.afterBlobsUploaded, .afterCommitRecorded, .afterCommitLanded])
    func aPassStoppedInALaterBatchResumes(at point: SyncFaultPoint) async throws {
        let world = try await SyncWorld()
        // Stops at the point's third occurrence: two batches committed, the fourth being sealed.
        let alpha = try await world.device("alpha") { configuration in
            configuration.commitBatchSize = 4
            configuration.faultHook = Self.crash(at: point, occurrence: 3)
        }
        try Self.writeTree(alpha.tree)
        await #expect(throws: SyncEngineCrashTests.SimulatedCrash.self) { try await alpha.sync() }
        let partial = try await world.liveEntries()
        #expect(partial.count >= 8 && partial.count < Self.entryCount)

        try await alpha.restart()
        let resumed = try await alpha.sync()
        #expect(resumed.conflicts.isEmpty && resumed.skipped.isEmpty)
        #expect(try await world.liveEntries().count == Self.entryCount, "no entry twice, none missing")
        let beta = try await world.device("beta")
        try await beta.sync()
        #expect(try beta.contents() == alpha.contents())
        #expect(try await alpha.sync().isIdentical)
    }

    @Test func smallFilesGoInGroupsOfAtLeastTheServersBatchThreshold() {
        let fourKiB = { (count: Int) in [Int64](repeating: 4096, count: count) }
        #expect(LocalPublisher.smallGroupCounts([]) == [])
        #expect(LocalPublisher.smallGroupCounts(fourKiB(100)) == [100])
        #expect(LocalPublisher.smallGroupCounts(fourKiB(511)) == [511])
        #expect(LocalPublisher.smallGroupCounts(fourKiB(512)) == [256, 256])
        #expect(LocalPublisher.smallGroupCounts(fourKiB(900)) == [300, 300, 300])
        #expect(LocalPublisher.smallGroupCounts(fourKiB(1000)) == [334, 333, 333])
        // 300 files of 200 KiB (about 59 MiB): four groups of about 15 MiB, not one of 59.
        #expect(LocalPublisher.smallGroupCounts([Int64](repeating: 200 << 10, count: 300)) == [75, 75, 75, 75])
        // Sizes the scan cannot have (negative) count as empty; never more groups than files.
        #expect(LocalPublisher.smallGroupCounts([-5, 1 << 40]) == [1, 1])
    }

    /// Throws `SimulatedCrash` when `point` is reached for the `occurrence`-th time.
    static func crash(at point: SyncFaultPoint, occurrence: Int) -> SyncFaultHook {
        let reached = Atomic(0)
        return { at in
            guard at == point else { return }
            if reached.add(1, ordering: .relaxed).newValue == occurrence { throw SyncEngineCrashTests.SimulatedCrash() }
        }
    }
}

/// A `SyncRemote` that passes every call to an `InProcessRemote` and records, in order, the
/// blobs each upload got acknowledged and each commit's sending and answer.
final class RecordingRemote: SyncRemote {
    enum Event: Sendable {
        case blobsAcknowledged([BlobID])
        case commitSent(blobs: [BlobID])
        case commitAnswered
    }

    private let remote: InProcessRemote
    private let log = Mutex<[Event]>([])

    init(_ remote: InProcessRemote) { self.remote = remote }

    var events: [Event] { log.withLock { $0 } }

    var vaultID: VaultID { remote.vaultID }

    func vaultState() async throws -> VaultSummary { try await remote.vaultState() }
    func vaultKeys() async throws -> [WrappedVaultKey] { try await remote.vaultKeys() }
    func missingBlobs(_ ids: [BlobID]) async throws -> [BlobID] { try await remote.missingBlobs(ids) }

    func putBlob(_ id: BlobID, bytes: [UInt8]) async throws {
        try await remote.putBlob(id, bytes: bytes)
        log.withLock { $0.append(.blobsAcknowledged([id])) }
    }

    func putBlobs(_ blobs: [BlobPayload]) async throws {
        try await remote.putBlobs(blobs)
        log.withLock { $0.append(.blobsAcknowledged(blobs.map(\.id))) }
    }

    func getBlob(_ id: BlobID, into buffer: inout BlobFetchBuffer) async throws {
        try await remote.getBlob(id, into: &buffer)
    }

    func commit(_ request: CommitRequest) async throws -> RemoteCommitOutcome {
        log.withLock { $0.append(.commitSent(blobs: request.changes.flatMap(\.blobs))) }
        defer { log.withLock { $0.append(.commitAnswered) } }
        return try await remote.commit(request)
    }

    func changes(since: Int64, limit: Int, wait: Duration?) async throws -> RemoteChanges {
        try await remote.changes(since: since, limit: limit, wait: wait)
    }

    func revisions(of entry: EntryID, before: Int64?, limit: Int) async throws -> RevisionList {
        try await remote.revisions(of: entry, before: before, limit: limit)
    }

    func trash(before: Int64?, limit: Int) async throws -> TrashPage {
        try await remote.trash(before: before, limit: limit)
    }
}
