@testable import CoffreClient
import CoffreProtocol
import CoffreServer
import Foundation
import Testing

/// Downloads open chunks on the key commitment alone (`ChunkCipher.openCommitted`, no blob id
/// hash), so a member in league with the server can make a device open the member's own
/// content under an honest chunk's blob id. That binding must never travel: the chunk cache
/// copies only for the key it was recorded with, so a later honest file under that id gets its
/// own bytes or none (docs/threat-model.md, "Why a read need not hash the blob").
@Suite struct SyncEnginePlantedChunkTests {
    static func bytes(of device: SyncDevice, _ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: device.tree.absolute(path))))
    }

    @Test func aPlantedBindingIsNeverCopiedIntoAnHonestFile() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        let keyring = try await #require(alpha.engine).keyring()
        let cipher = try #require(keyring.generation(1)).chunks
        // X: what alpha will write later (one chunk); Y: the member's content, as long.
        let honest = SyncEngineTests.pseudoRandom(3_000, seed: 61)
        let planted = SyncEngineTests.pseudoRandom(3_000, seed: 62)
        let sealedX = try cipher.seal(honest)
        let sealedY = try cipher.seal(planted)
        let idX = try #require(BlobID(bytes: sealedX.reference.blobID))

        // The member's record pairs X's id with Y's key and length; the server serves Y's blob
        // under X's id.
        world.shelf.store(idX, sealedY.blob)
        try await world.store.recordBlobs(world.vaultID, user: 1, [StoredBlob(id: idX, size: Int64(sealedY.blob.count))])
        let mislabelled = try ChunkReference(blobID: sealedX.reference.blobID, key: sealedY.reference.key, length: 3_000)
        let entry = LocalPlanner.newEntryID()
        let record = EntryRecord(
            kind: .file, name: "planted.bin", modificationTime: 1_000_000_000, mode: 0o644, size: 3_000,
            manifest: .inline([mislabelled]))
        let change = EntryChange(
            entryId: entry, baseRev: 0, parentId: .root, kind: .file, nameTag: try keyring.nameTag("planted.bin", parent: .root),
            record: Base64Bytes(try keyring.sealRecord(record, entry: entry, parent: .root, generation: 1)), blobs: [idX])
        let outcome = try await world.store.commit(world.vaultID, user: 1, CommitRequest(changes: [change]))
        guard case .committed = outcome else { Issue.record("the member's commit was rejected: \(outcome)"); return }

        // Beta opens it: the plaintext the member's own reference commits to, nothing more.
        let first = try await beta.sync()
        #expect(first.skipped.isEmpty)
        #expect(try Self.bytes(of: beta, "planted.bin") == planted)

        // Alpha writes X. While the server still serves Y under X's id, X's key refuses it:
        // the file is not placed, and beta's chunk cache, which places Y under X's id with Y's
        // key, is not used for X's key.
        try alpha.tree.write("honest.bin", bytes: honest)
        try await alpha.sync()
        let refused = try await beta.sync()
        #expect(!beta.tree.exists("honest.bin"))
        #expect(refused.skipped.map(\.path) == ["honest.bin"])
        if case .transferFailed = refused.skipped.first?.reason {} else { Issue.record("expected a failed transfer, got \(refused.skipped)") }

        // The server serves X again: beta fetches it, and the file is X byte for byte.
        world.shelf.store(idX, sealedX.blob)
        world.shelf.resetCounters()
        let healed = try await beta.sync()
        #expect(healed.skipped.isEmpty)
        #expect(try Self.bytes(of: beta, "honest.bin") == honest)
        #expect(try Self.bytes(of: beta, "planted.bin") == planted)
        #expect(world.shelf.counters.blobsFetched == 1, "fetched, not copied from planted.bin")
    }
}
