@testable import CoffreClient
import CoffreProtocol
import Foundation
import Testing

/// History, restore and trash: engine functions the CLI calls.
@Suite struct SyncEngineHistoryTests {
    @Test func historyListsRevisionsAndRestoreBringsOneBack() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        try alpha.tree.folder("drafts")
        try alpha.tree.write("drafts/essay.txt", "first draft")
        try await alpha.sync()
        try alpha.tree.write("drafts/essay.txt", "second draft, much better")
        try await alpha.sync()

        let engine = try #require(alpha.engine)
        let history = try await engine.history(of: "drafts/essay.txt")
        #expect(history.count == 2)
        #expect(history.map(\.name) == ["essay.txt", "essay.txt"])
        #expect(history.map(\.size) == [25, 11])
        #expect(history[0].rev > history[1].rev)

        world.shelf.resetCounters()
        try await engine.restore("drafts/essay.txt", revision: history[1].rev)
        #expect(world.shelf.counters.blobsPut == 0, "a restore references the old blobs")
        try await alpha.sync()
        #expect(try alpha.tree.read("drafts/essay.txt") == "first draft")
        #expect(try await engine.history(of: "drafts/essay.txt").count == 3)

        try await engine.restore("drafts/essay.txt", revision: history[0].rev, to: "drafts/essay (second).txt")
        try await alpha.sync()
        try await beta.sync()
        #expect(try beta.tree.read("drafts/essay.txt") == "first draft")
        #expect(try beta.tree.read("drafts/essay (second).txt") == "second draft, much better")

        await #expect(throws: SyncClientError.self) { try await engine.history(of: "no/such/file") }
        await #expect(throws: SyncClientError.self) { try await engine.restore("drafts/essay.txt", revision: 999_999) }
        await #expect(throws: SyncClientError.self) {
            try await engine.restore("drafts/essay.txt", revision: history[0].rev, to: "drafts/essay.txt")
        }
        await #expect(throws: SyncClientError.self) {
            try await engine.restore("drafts/essay.txt", revision: history[0].rev, to: "missing-folder/x.txt")
        }
    }

    @Test func deletedEntriesAreInTheTrashAndComeBack() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        try alpha.tree.folder("keep")
        try alpha.tree.write("keep/receipt.pdf", bytes: SyncEngineTests.pseudoRandom(20_000, seed: 5))
        try alpha.tree.write("scratch.txt", "scratch")
        try await alpha.sync()
        try await beta.sync()
        try alpha.tree.remove("keep/receipt.pdf")
        try alpha.tree.remove("scratch.txt")
        try await alpha.sync()
        try await beta.sync()
        #expect(!beta.tree.exists("keep/receipt.pdf"))

        let engine = try #require(beta.engine)
        let trash = try await engine.trash()
        #expect(Set(trash.compactMap(\.name)) == ["receipt.pdf", "scratch.txt"])
        let receipt = try #require(trash.first { $0.name == "receipt.pdf" })
        #expect(receipt.folder == "keep" && receipt.kind == .file)

        try await engine.restoreFromTrash(receipt.entryID)
        try await beta.sync()
        try await alpha.sync()
        #expect(try alpha.contents() == beta.contents())
        #expect(alpha.tree.exists("keep/receipt.pdf") && !alpha.tree.exists("scratch.txt"))
        #expect(try await engine.trash().compactMap(\.name) == ["scratch.txt"])
        await #expect(throws: SyncClientError.self) { try await engine.restoreFromTrash(receipt.entryID) }
    }
}
