@testable import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Testing

/// Device B opens a downloaded file's chunks two at a time (`FileOpener`): a chunk the server
/// spoils, first or second of its pair or alone at the end, fails that file; nothing of it is
/// placed and no temp file is left, and once the blob is served honestly again the next pass
/// places the file whole.
@Suite struct SyncEnginePairedDownloadTests {
    static let data = SyncEngineTests.pseudoRandom(300_000, seed: 9_101)

    /// `position` counts from the start (0, 1) or, when negative, from the end (-1 the last).
    @Test(arguments: [0, 1, 2, -2, -1])
    func aSpoiledChunkInAnyPlaceOfAPairLeavesNothingInPlace(position: Int) async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        try alpha.tree.write("big.bin", bytes: Self.data)
        try await alpha.sync()
        let chunks = try #require(try await alpha.engine?.index.syncedEntry(atPath: "big.bin")?.chunks)
        // Small chunks (SyncWorld.smallChunks): many pairs.
        try #require(chunks.count >= 6)
        let victim = try #require(BlobID(bytes: chunks[position >= 0 ? position : chunks.count + position].blobID))
        let honest = try #require(world.shelf.blob(victim))
        var spoiled = honest
        spoiled[spoiled.count / 2] ^= 0x04
        world.shelf.tamper(victim, with: spoiled)

        let report = try await beta.sync()
        #expect(report.downloadedFiles == 0)
        #expect(report.skipped.count == 1)
        if case .transferFailed = report.skipped.first?.reason {} else { Issue.record("expected a failed transfer, got \(report.skipped)") }
        #expect(try beta.contents().isEmpty, "nothing placed, no temp file left")

        world.shelf.tamper(victim, with: honest)
        let again = try await beta.sync()
        #expect(again.downloadedFiles == 1)
        #expect(try SyncEnginePlantedChunkTests.bytes(of: beta, "big.bin") == Self.data)
    }
}
