@testable import CoffreClient
import CoffreProtocol
import Foundation
import Synchronization
import Testing

/// The engine stopped dead at injected points (as by `kill -9`: the fault hook's error ends
/// the pass with no cleanup), then started again on the same folder and index: the next pass
/// converges without losing or duplicating anything.
@Suite struct SyncEngineCrashTests {
    struct SimulatedCrash: Error {}

    /// Throws `SimulatedCrash` the first time `point` is reached.
    static func crash(at point: SyncFaultPoint) -> SyncFaultHook {
        let fired = Atomic(false)
        return { reached in
            if reached == point, !fired.exchange(true, ordering: .relaxed) { throw SimulatedCrash() }
        }
    }

    static func writeSample(_ device: SyncDevice) throws {
        try device.tree.folder("photos")
        try device.tree.write("photos/a.jpg", bytes: SyncEngineTests.pseudoRandom(90_000, seed: 11))
        try device.tree.write("photos/b.jpg", bytes: SyncEngineTests.pseudoRandom(3_000, seed: 12))
        try device.tree.write("notes.txt", "notes")
        try device.tree.symlink("latest", to: "photos/a.jpg")
    }

    /// Live entries of the sample: the folder, three files, the symlink.
    static let sampleEntryCount = 5

    @Test(arguments: [
        SyncFaultPoint.readingForUpload(path: "photos/b.jpg"), .afterBlobsUploaded, .afterCommitRecorded, .afterCommitLanded,
    ])
    func anUploadStoppedAnywhereResumes(at point: SyncFaultPoint) async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha") { $0.faultHook = Self.crash(at: point) }
        let beta = try await world.device("beta")
        try Self.writeSample(alpha)
        await #expect(throws: SimulatedCrash.self) { try await alpha.sync() }

        try await alpha.restart()
        let resumed = try await alpha.sync()
        #expect(resumed.conflicts.isEmpty && resumed.skipped.isEmpty)
        let live = try await world.liveEntries()
        #expect(live.count == Self.sampleEntryCount, "no entry twice, none missing")
        try await beta.sync()
        #expect(try beta.contents() == alpha.contents())
        #expect(try await alpha.sync().isIdentical)
        #expect(try await beta.sync().isIdentical)
    }

    @Test(arguments: [SyncFaultPoint.beforePlacement, .downloadsSynced, .placingDownload(path: "notes.txt"), .downloadsRenamed, .afterPlacement])
    func aDownloadStoppedAnywhereResumes(at point: SyncFaultPoint) async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta") { $0.faultHook = Self.crash(at: point) }
        try Self.writeSample(alpha)
        try await alpha.sync()
        await #expect(throws: SimulatedCrash.self) { try await beta.sync() }

        try await beta.restart()
        let resumed = try await beta.sync()
        #expect(resumed.conflicts.isEmpty && resumed.skipped.isEmpty)
        // Equal contents also means no temp file was left behind.
        #expect(try beta.contents() == alpha.contents())
        let live = try await world.liveEntries()
        #expect(live.count == Self.sampleEntryCount)
        #expect(try await beta.sync().isIdentical)
    }

    /// The same with every placement group made durable by one syncfs(2).
    @Test(arguments: [SyncFaultPoint.syncingFileSystem, .downloadsSynced, .placingDownload(path: "notes.txt")])
    func aDownloadSyncedByFileSystemStoppedAnywhereResumes(at point: SyncFaultPoint) async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta") {
            $0.faultHook = Self.crash(at: point)
            $0.placementFileSystemSyncFiles = 1
        }
        try Self.writeSample(alpha)
        try await alpha.sync()
        await #expect(throws: SimulatedCrash.self) { try await beta.sync() }
        #expect(point != .syncingFileSystem || !beta.tree.exists("notes.txt"), "nothing placed before the syncfs")

        try await beta.restart()
        let resumed = try await beta.sync()
        #expect(resumed.conflicts.isEmpty && resumed.skipped.isEmpty)
        #expect(try beta.contents() == alpha.contents())
        #expect(try await world.liveEntries().count == Self.sampleEntryCount)
        #expect(try await beta.sync().isIdentical)
    }

    @Test func anEditStoppedAfterItsCommitLandedIsNotAppliedTwice() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        try alpha.tree.write("doc.txt", "v1")
        try alpha.tree.write("old.txt", "to delete")
        try await alpha.sync()
        try await beta.sync()

        try await alpha.restart(hook: Self.crash(at: .afterCommitLanded))
        try alpha.tree.write("doc.txt", "v2")
        try alpha.tree.remove("old.txt")
        try alpha.tree.rename("doc.txt", "renamed.txt")
        await #expect(throws: SimulatedCrash.self) { try await alpha.sync() }
        try await alpha.restart()
        let resumed = try await alpha.sync()
        #expect(resumed.conflicts.isEmpty)
        try await beta.sync()
        #expect(try beta.contents() == alpha.contents())
        #expect(try beta.tree.read("renamed.txt") == "v2" && !beta.tree.exists("old.txt"))
        let live = try await world.liveEntries()
        #expect(live.count == 1)
    }

    @Test func aCommitWhoseAnswerWasLostIsResentNotTakenForAConflict() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        try alpha.tree.write("doc.txt", "v1")
        try await alpha.sync()

        try await alpha.restart(hook: Self.crash(at: .afterCommitLanded))
        try alpha.tree.write("doc.txt", "v2")
        await #expect(throws: SimulatedCrash.self) { try await alpha.sync() }
        // Edited again before the engine runs again: without the commit written down, v2 on
        // the server and v3 here would look like two devices' edits.
        try alpha.tree.write("doc.txt", "v3, written after the crash")
        try await alpha.restart()
        let resumed = try await alpha.sync()
        #expect(resumed.conflicts.isEmpty)
        #expect(try alpha.tree.names().filter { $0 != ".coffre" } == ["doc.txt"])
        let beta = try await world.device("beta")
        try await beta.sync()
        #expect(try beta.tree.read("doc.txt") == "v3, written after the crash")
    }
}
