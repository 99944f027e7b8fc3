@testable import CoffreClient
import CoffreProtocol
import Foundation
import Synchronization
import Testing

/// How a pass's rounds scan the folder (docs/sync-client.md, "A pass"): the check a round
/// starts with serves as its snapshot in a small tree, and a round that applied remote changes
/// to a folder exactly as agreed ends there, leaving edits made meanwhile to the next round.
@Suite struct SyncEngineRoundTests {
    @Test func aFirstDownloadEndsItsRoundAfterApplying() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        try alpha.tree.folder("docs")
        for number in 0..<5 { try alpha.tree.write("docs/\(number).txt", "note \(number)") }
        try await alpha.sync()

        let received = try await beta.sync()
        #expect(received.downloadedFiles == 5 && received.uploadedFiles == 0)
        #expect(received.rounds == 2, "one round applies, the next one's check finds the folder as agreed")
        #expect(received.isIdentical && received.skipped.isEmpty)
        #expect(try beta.tree.read("docs/3.txt") == "note 3")
        let again = try await beta.sync()
        #expect(again.isIdentical && again.rounds == 1 && again.downloadedFiles == 0 && again.uploadedFiles == 0)
    }

    /// A file written on the device while its downloads are placed is not lost with the
    /// round that no longer plans after applying: the next round's check finds and commits it.
    @Test func anEditMadeWhileDownloadingIsCommittedInTheSamePass() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let written = Atomic(false)
        let betaPath = Mutex("")
        let beta = try await world.device("beta") { configuration in
            configuration.faultHook = { point in
                guard case .afterPlacement = point, !written.exchange(true, ordering: .relaxed) else { return }
                let path = betaPath.withLock { $0 } + "/meanwhile.txt"
                guard FileManager.default.createFile(atPath: path, contents: Data("written meanwhile".utf8)) else {
                    throw SyncClientError.protocolViolation("the test could not write its file")
                }
            }
        }
        betaPath.withLock { $0 = beta.tree.path }
        for name in ["a.txt", "b.txt", "c.txt"] { try alpha.tree.write(name, name) }
        try await alpha.sync()

        let report = try await beta.sync()
        let didWrite = written.load(ordering: .relaxed)
        #expect(didWrite)
        #expect(report.downloadedFiles == 3 && report.uploadedFiles == 1)
        #expect(report.rounds == 3 && report.isIdentical)
        let back = try await alpha.sync()
        #expect(back.downloadedFiles == 1 && back.isIdentical)
        #expect(try alpha.tree.read("meanwhile.txt") == "written meanwhile")
    }

    /// The check serves as the snapshot of a round with local changes: what it saw is
    /// committed, and a leftover temp file it saw is removed and never reported or committed.
    @Test func theCheckServesAsTheSnapshotWithoutItsLeftoverTempFiles() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        try alpha.tree.folder("docs")
        try alpha.tree.write("docs/new.txt", "new")
        try alpha.tree.write("docs/.coffre-tmp-00aa11", "left by a crash")
        let report = try await alpha.sync()
        #expect(report.uploadedFiles == 1 && report.remoteChanges == 2)
        #expect(report.skipped.isEmpty && report.isIdentical)
        #expect(!alpha.tree.exists("docs/.coffre-tmp-00aa11"))
        #expect(try await world.liveEntries().count == 2)
        try await beta.sync()
        #expect(try beta.tree.names(in: "docs") == ["new.txt"])
    }
}
