@testable import CoffreClient
import Foundation
import Glibc
import Synchronization
import Testing

/// Downloads placed in groups (`PlacementGroup`) by a whole engine: a stop between any two
/// steps of any group converges on the next pass; a local edit racing a rename ends as a
/// conflict copy; one file's failure costs that file only; cancellation loses nothing.
@Suite struct SyncEnginePlacementTests {
    struct SimulatedCrash: Error {}

    /// 24 files in three folders and two at the top: with groups of 4, seven groups.
    static func writeFiles(_ device: SyncDevice) throws -> Int {
        for folder in ["d0", "d1", "d2"] { try device.tree.folder(folder) }
        for index in 0..<24 { try device.tree.write("d\(index % 3)/f\(index).txt", "file \(index)") }
        try device.tree.write("a.txt", "a")
        try device.tree.write("b.txt", bytes: SyncEngineTests.pseudoRandom(70_000, seed: 3))
        return 3 + 24 + 2
    }

    /// A device placing groups of 4, with `hook` as its fault hook.
    static func smallGroups(_ world: SyncWorld, hook: SyncFaultHook?) async throws -> SyncDevice {
        try await world.device("beta") { configuration in
            configuration.placementGroupFiles = 4
            configuration.faultHook = hook
        }
    }

    /// Throws `SimulatedCrash` the `occurrence`-th time `point` is reached.
    static func crash(at point: SyncFaultPoint, occurrence: Int) -> SyncFaultHook {
        let reached = Atomic(0)
        return { current in
            if current == point, reached.wrappingAdd(1, ordering: .relaxed).newValue == occurrence { throw SimulatedCrash() }
        }
    }

    /// Group-wide points are taken at the third group, per-file ones at that file.
    @Test(arguments: zip(
        [
            SyncFaultPoint.syncingDownload(path: "d1/f4.txt"), .downloadsSynced, .placingDownload(path: "d2/f5.txt"),
            .downloadsRenamed, .syncingFolder(path: "d0"), .afterPlacement,
        ],
        [1, 3, 1, 3, 2, 3]))
    func aStopInAGroupConverges(at point: SyncFaultPoint, occurrence: Int) async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let entries = try Self.writeFiles(alpha)
        try await alpha.sync()
        let beta = try await Self.smallGroups(world, hook: Self.crash(at: point, occurrence: occurrence))
        await #expect(throws: SimulatedCrash.self) { try await beta.sync() }

        try await beta.restart()
        let resumed = try await beta.sync()
        #expect(resumed.conflicts.isEmpty && resumed.skipped.isEmpty)
        // Equal contents: nothing torn, no temp file, no half-named file.
        #expect(try beta.contents() == alpha.contents())
        #expect(try await world.liveEntries().count == entries, "nothing committed twice")
        #expect(try await beta.sync().isIdentical)
        #expect(try await alpha.sync().isIdentical)
    }

    @Test func aFileEditedBetweenItsDownloadAndItsRenameEndsAsAConflictCopy() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let treePath = Mutex("")
        let armed = Atomic(false)
        let edited = Atomic(false)
        let beta = try await Self.smallGroups(world) { point in
            guard case .placingDownload("doc.txt") = point, armed.load(ordering: .relaxed),
                !edited.exchange(true, ordering: .relaxed)
            else { return }
            let handle = FileHandle(forWritingAtPath: treePath.withLock { $0 } + "/doc.txt")!
            handle.seekToEndOfFile()
            handle.write(Data(", edited here".utf8))
            handle.closeFile()
        }
        treePath.withLock { $0 = beta.tree.path }
        try alpha.tree.write("doc.txt", "v1")
        _ = try Self.writeFiles(alpha)
        try await alpha.sync()
        try await beta.sync()
        try alpha.tree.write("doc.txt", "v2, from alpha")
        try await alpha.sync()

        armed.store(true, ordering: .relaxed)
        let report = try await beta.sync()
        let didEdit = edited.load(ordering: .relaxed)
        #expect(didEdit)
        let conflict = try #require(report.conflicts.first)
        #expect(report.conflicts.count == 1 && conflict.path == "doc.txt")
        #expect(try beta.tree.read("doc.txt") == "v2, from alpha")
        #expect(try beta.tree.read(conflict.conflictCopy) == "v1, edited here")
        try await alpha.sync()
        #expect(try beta.contents() == alpha.contents())
    }

    @Test(arguments: ["fsync", "rename"])
    func oneFileFailingToBePlacedIsRetriedAndNothingIsLost(at step: String) async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        _ = try Self.writeFiles(alpha)
        try await alpha.sync()
        let failures = Atomic(0)
        let attempts = Atomic(0)
        let beta = try await Self.smallGroups(world) { point in
            let isTarget: Bool
            switch point {
            case .syncingDownload("d1/f7.txt"): isTarget = step == "fsync"
            case .placingDownload("d1/f7.txt"): isTarget = step == "rename"
            default: isTarget = false
            }
            guard isTarget else { return }
            if attempts.wrappingAdd(1, ordering: .relaxed).newValue == 1 {
                failures.add(1, ordering: .relaxed)
                throw LocalFSError.system(operation: step, code: EIO)
            }
        }
        // The failed file is left out of its group and downloaded again by the next round.
        let report = try await beta.sync()
        let (failed, tried) = (failures.load(ordering: .relaxed), attempts.load(ordering: .relaxed))
        #expect(failed == 1 && tried == 2)
        #expect(report.rounds >= 2 && report.skipped.isEmpty && report.conflicts.isEmpty)
        #expect(try beta.tree.names(in: "d1").allSatisfy { !$0.hasPrefix(ReservedNames.temporaryPrefix) })
        #expect(try beta.contents() == alpha.contents())
        #expect(try await beta.sync().isIdentical)
    }

    @Test func aFailedFolderSyncLeavesItsFilesToBeAdoptedNotDownloadedAgain() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        _ = try Self.writeFiles(alpha)
        try await alpha.sync()
        let failed = Atomic(false)
        let downloadsInD2 = Atomic(0)
        let beta = try await Self.smallGroups(world) { point in
            if case .syncingDownload(let path) = point, path.hasPrefix("d2/") { downloadsInD2.add(1, ordering: .relaxed) }
            if case .syncingFolder("d2") = point, !failed.exchange(true, ordering: .relaxed) {
                throw LocalFSError.system(operation: "fsync", code: EIO)
            }
        }
        // The files renamed into d2 by that group are in place but not recorded: the next
        // round finds them and adopts them.
        let report = try await beta.sync()
        let (didFail, downloaded) = (failed.load(ordering: .relaxed), downloadsInD2.load(ordering: .relaxed))
        #expect(didFail)
        #expect(downloaded == 8, "each file of d2 downloaded once, none again")
        #expect(report.rounds >= 2 && report.conflicts.isEmpty && report.skipped.isEmpty)
        #expect(try beta.contents() == alpha.contents())
        #expect(try await beta.sync().isIdentical)
    }

    @Test func aPassCancelledWhileAGroupIsPlacedLosesNothing() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let entries = try Self.writeFiles(alpha)
        try await alpha.sync()
        let running = Mutex<Task<SyncReport, any Error>?>(nil)
        let beta = try await Self.smallGroups(world, hook: nil)
        let cancelled = Atomic(false)
        try await beta.restart { point in
            // The first group's files are durable; the pass is cancelled before its renames.
            if point == .downloadsSynced, !cancelled.exchange(true, ordering: .relaxed) {
                running.withLock { $0?.cancel() }
            }
        }
        let engine = try #require(beta.engine)
        let (gate, open) = AsyncStream<Void>.makeStream()
        let task = Task {
            for await _ in gate { break }
            return try await engine.syncOnce()
        }
        running.withLock { $0 = task }
        open.yield()
        // CancellationError, or a transfer in flight ending on the cancellation first.
        await #expect(throws: (any Error).self) { try await task.value }
        let didCancel = cancelled.load(ordering: .relaxed)
        #expect(didCancel)

        let resumed = try await beta.sync()
        #expect(resumed.conflicts.isEmpty && resumed.skipped.isEmpty)
        #expect(try beta.contents() == alpha.contents())
        #expect(try await world.liveEntries().count == entries)
        #expect(try await beta.sync().isIdentical)
    }
}
