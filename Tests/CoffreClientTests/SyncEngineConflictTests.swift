@testable import CoffreClient
import CoffreProtocol
import Foundation
import Testing

/// Both devices change the same thing before either syncs (DESIGN §8 rules).
@Suite struct SyncEngineConflictTests {
    /// Two devices that agree on `files` (path → contents).
    static func agreeing(on files: [String: String], folders: [String] = []) async throws -> (SyncWorld, SyncDevice, SyncDevice) {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta laptop")
        for folder in folders { try alpha.tree.folder(folder) }
        for (path, contents) in files { try alpha.tree.write(path, contents) }
        try await alpha.sync()
        try await beta.sync()
        return (world, alpha, beta)
    }

    @Test func editVersusEditKeepsBothUnderAConflictName() async throws {
        let (world, alpha, beta) = try await Self.agreeing(on: ["plan.txt": "v1"])
        try alpha.tree.write("plan.txt", "alpha's version")
        try beta.tree.write("plan.txt", "beta's version, longer")
        try await alpha.sync()
        let report = try await beta.sync()
        // Beta synced second: its version is the copy, named after beta.
        let conflict = try #require(report.conflicts.first)
        #expect(report.conflicts.count == 1 && conflict.path == "plan.txt")
        let pattern = #/plan \(conflict beta laptop \d{4}-\d{2}-\d{2} \d{6}\)\.txt/#
        #expect(conflict.conflictCopy.wholeMatch(of: pattern) != nil)
        #expect(try beta.tree.read("plan.txt") == "alpha's version")
        #expect(try beta.tree.read(conflict.conflictCopy) == "beta's version, longer")
        try await alpha.sync()
        #expect(try alpha.contents() == beta.contents())
        #expect(try await world.liveEntries().count == 2)
    }

    @Test func equalEditsOnBothSidesAreNoConflict() async throws {
        let (world, alpha, beta) = try await Self.agreeing(on: ["same.txt": "v1"])
        try alpha.tree.write("same.txt", "the same new text")
        try beta.tree.write("same.txt", "the same new text")
        try await alpha.sync()
        let report = try await beta.sync()
        #expect(report.conflicts.isEmpty)
        #expect(try await world.liveEntries().count == 1)
    }

    @Test func editBeatsDeleteWhenTheDeletionLandsFirst() async throws {
        let (_, alpha, beta) = try await Self.agreeing(on: ["keep.txt": "v1"])
        try alpha.tree.remove("keep.txt")
        try beta.tree.write("keep.txt", "edited")
        try await alpha.sync()
        try await beta.sync()
        try await alpha.sync()
        #expect(try alpha.tree.read("keep.txt") == "edited")
        #expect(try beta.tree.read("keep.txt") == "edited")
    }

    @Test func editBeatsDeleteWhenTheEditLandsFirst() async throws {
        let (_, alpha, beta) = try await Self.agreeing(on: ["keep.txt": "v1"])
        try alpha.tree.write("keep.txt", "edited")
        try beta.tree.remove("keep.txt")
        try await alpha.sync()
        let report = try await beta.sync()
        #expect(report.downloadedFiles == 1)
        #expect(try beta.tree.read("keep.txt") == "edited")
        try await alpha.sync()
        #expect(try alpha.tree.read("keep.txt") == "edited")
    }

    @Test func deleteVersusDelete() async throws {
        let (world, alpha, beta) = try await Self.agreeing(on: ["gone.txt": "v1", "stays.txt": "s"])
        try alpha.tree.remove("gone.txt")
        try beta.tree.remove("gone.txt")
        try await alpha.sync()
        let report = try await beta.sync()
        #expect(report.skipped.isEmpty && report.conflicts.isEmpty)
        try await alpha.sync()
        #expect(try await world.liveEntries().count == 1)
        let again = try await beta.sync()
        #expect(again.isIdentical)
    }

    @Test func aFolderDeletedThereKeepsAFileAddedHere() async throws {
        let (_, alpha, beta) = try await Self.agreeing(on: ["project/old.txt": "old"], folders: ["project"])
        try alpha.tree.remove("project")
        try beta.tree.write("project/new.txt", "new")
        try await alpha.sync()
        try await beta.sync()
        try await alpha.sync()
        for device in [alpha, beta] {
            #expect(try device.tree.read("project/new.txt") == "new")
            #expect(!device.tree.exists("project/old.txt"))
        }
        #expect(try alpha.contents() == beta.contents())
    }

    @Test func aFolderDeletedHereComesBackForAFileAddedThere() async throws {
        let (_, alpha, beta) = try await Self.agreeing(on: ["project/old.txt": "old"], folders: ["project"])
        try alpha.tree.write("project/new.txt", "new")
        try beta.tree.remove("project")
        try await alpha.sync()
        try await beta.sync()
        try await alpha.sync()
        for device in [alpha, beta] {
            #expect(try device.tree.read("project/new.txt") == "new")
            #expect(!device.tree.exists("project/old.txt"))
        }
        #expect(try alpha.contents() == beta.contents())
    }

    @Test func theSameNewFileOnBothSidesIsAdoptedNotDuplicated() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        for device in [alpha, beta] {
            try device.tree.folder("shared")
            try device.tree.write("shared/a.txt", "identical")
        }
        try await alpha.sync()
        world.shelf.resetCounters()
        let report = try await beta.sync()
        #expect(report.conflicts.isEmpty && report.downloadedFiles == 0 && report.uploadedFiles == 0)
        #expect(world.shelf.counters.blobsFetched == 0 && world.shelf.counters.blobsPut == 0)
        #expect(try await world.liveEntries().count == 2)
    }

    @Test func differentNewFilesUnderOneNameKeepBoth() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        try alpha.tree.write("todo.txt", "alpha's list")
        try beta.tree.write("todo.txt", "beta's list")
        try await alpha.sync()
        let report = try await beta.sync()
        #expect(report.conflicts.count == 1)
        try await alpha.sync()
        #expect(try alpha.contents() == beta.contents())
        #expect(try alpha.tree.read("todo.txt") == "alpha's list")
        #expect(try await world.liveEntries().count == 2)
    }

    @Test func moveVersusEditKeepsBoth() async throws {
        let (_, alpha, beta) = try await Self.agreeing(on: ["draft.txt": "v1"], folders: ["final"])
        try alpha.tree.rename("draft.txt", "final/draft.txt")
        try beta.tree.write("draft.txt", "v2 from beta")
        try await alpha.sync()
        try await beta.sync()
        try await alpha.sync()
        for device in [alpha, beta] {
            #expect(try device.tree.read("final/draft.txt") == "v2 from beta")
            #expect(!device.tree.exists("draft.txt"))
        }
    }

    @Test func swappedNamesOnOneSideReachTheOther() async throws {
        let (_, alpha, beta) = try await Self.agreeing(on: ["left.txt": "L", "right.txt": "R"])
        try alpha.tree.rename("left.txt", "tmp")
        try alpha.tree.rename("right.txt", "left.txt")
        try alpha.tree.rename("tmp", "right.txt")
        try await alpha.sync()
        try await beta.sync()
        #expect(try beta.tree.read("left.txt") == "R")
        #expect(try beta.tree.read("right.txt") == "L")
        #expect(try alpha.contents() == beta.contents())
    }

    @Test func aCommitRefusedBecauseAnotherLandedFirstIsPlannedAgain() async throws {
        let (_, alpha, beta) = try await Self.agreeing(on: ["plan.txt": "v1", "other.txt": "o"])
        try alpha.tree.write("plan.txt", "alpha's version")
        try beta.tree.write("plan.txt", "beta's version")
        try beta.tree.write("new.txt", "new on beta")
        // Alpha's commit lands between beta's pull and beta's commit: the server refuses
        // beta's edit (stale base rev) and takes the rest; the next round sees the conflict.
        let alphaEngine = try #require(alpha.engine)
        beta.remote.beforeNextCommit.withLock { $0 = { _ = try await alphaEngine.syncOnce() } }
        let report = try await beta.sync()
        #expect(report.rounds >= 2)
        #expect(report.conflicts.count == 1)
        try await alpha.sync()
        #expect(try alpha.contents() == beta.contents())
        #expect(try alpha.tree.read("plan.txt") == "alpha's version")
        #expect(try alpha.tree.read("new.txt") == "new on beta")
    }
}
