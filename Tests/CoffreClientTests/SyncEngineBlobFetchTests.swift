@testable import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Testing

/// Device B's small files fetched in units (`FileDownloader.fetchBatch`, `SyncRemote.getBlobs`):
/// a bad blob in a unit costs its own file only, and every other file of the unit lands.
@Suite struct SyncEngineBlobFetchTests {
    @Test func aTamperedBlobFailsItsFileAloneInItsUnit() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        for index in 0..<10 { try alpha.tree.write("f\(index).txt", "small file \(index)") }
        try await alpha.sync()
        let victim = try #require(world.shelf.storedIDs.first)
        world.shelf.tamper(victim, with: Array(world.shelf.blob(victim)!.reversed()))
        let report = try await beta.sync()
        #expect(report.downloadedFiles == 9)
        #expect(report.skipped.count == 1)
        if case .transferFailed = report.skipped.first?.reason {} else { Issue.record("expected a failed transfer, got \(report.skipped)") }
        let placed = (0..<10).filter { beta.tree.exists("f\($0).txt") }
        #expect(placed.count == 9)
        for index in placed { #expect(try beta.tree.read("f\(index).txt") == "small file \(index)") }
    }
}
