@testable import CoffreServer
import CoffreClient
import CoffreProtocol
import Foundation
import Testing

/// `POST …/blob-fetch` through the real route and `SyncAPIClient.fetchBlobs` /
/// `HTTPSyncRemote.getBlobs`: records in request order, missing and empty blobs, the id and
/// byte limits, and who may read.
@Suite struct SyncAPIBlobFetchTests {
    /// A vault of alice's holding `blobs`.
    private func vault(
        of alice: SyncServerHarness.User, holding blobs: [(id: BlobID, bytes: [UInt8])]
    ) async throws -> VaultID {
        let vault = SyncSamples.vaultID()
        _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
        for blob in blobs { try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes) }
        return vault
    }

    @Test func blobsComeBackInRequestOrderWithMissingOnesMarked() async throws {
        try await SyncServerHarness.withServer { harness in
            let alice = try await harness.user("alice")
            let blobs = [0, 1, 4_096, 300_000].map(SyncSamples.blob)
            let vault = try await vault(of: alice, holding: blobs)
            let missing = SyncSamples.blob(77).id
            let ids = [blobs[3].id, missing, blobs[2].id, blobs[0].id, blobs[1].id, blobs[2].id]
            let fetched = try await alice.client.fetchBlobs(vault, ids, capacities: Array(repeating: 1 << 20, count: ids.count))
            #expect(
                fetched == [
                    .bytes(blobs[3].bytes), .absent, .bytes(blobs[2].bytes), .bytes([]), .bytes(blobs[1].bytes), .bytes(blobs[2].bytes),
                ])

            // A blob beyond its capacity is dropped, the others still arrive.
            let capped = try await alice.client.fetchBlobs(vault, [blobs[3].id, blobs[2].id], capacities: [1_000, 4_096])
            #expect(capped == [.tooLarge(limit: 1_000), .bytes(blobs[2].bytes)])

            // Through the remote: a missing blob is that blob's 404, as a GET's.
            let remote = HTTPSyncRemote(client: alice.client, vaultID: vault)
            let outcomes = try await remote.getBlobs([BlobFetch(id: missing, capacity: 100), BlobFetch(id: blobs[2].id, capacity: 4_096)])
            #expect(throws: APIClientError.self) { try outcomes[0].get() }
            #expect(try outcomes[1].get() == blobs[2].bytes)
        }
    }

    @Test func anAnswerStopsAtTheByteCapAndTheRemoteAsksForTheRest() async throws {
        try await SyncServerHarness.withServer { harness in
            let alice = try await harness.user("alice")
            // 3 × 6 MiB: the first answer holds two (12 MiB; a third would pass 16 MiB).
            let blobs = (0..<3).map { _ in SyncSamples.blob(6 << 20) }
            let vault = try await vault(of: alice, holding: blobs)
            let ids = blobs.map(\.id)
            let first = try await alice.client.fetchBlobs(vault, ids, capacities: Array(repeating: 8 << 20, count: 3))
            #expect(first == [.bytes(blobs[0].bytes), .bytes(blobs[1].bytes)])
            let remote = HTTPSyncRemote(client: alice.client, vaultID: vault)
            let all = try await remote.getBlobs(ids.map { BlobFetch(id: $0, capacity: 8 << 20) })
            #expect(try all.map { try $0.get() } == blobs.map(\.bytes))
        }
    }

    @Test func tooManyIdsAndMalformedBodiesAreRefused() async throws {
        try await SyncServerHarness.withServer { harness in
            let alice = try await harness.user("alice")
            let vault = try await vault(of: alice, holding: [])
            let raw = APITestClient(port: harness.app.localPort)
            let path = SyncPath.blobFetch(vault)
            let tooMany = BlobFetchRequest(ids: (0...BlobFetchRequest.maxIDs).map { SyncFixture.blob("\($0)") })
            let refused = try await raw.send("POST", path, token: alice.token, body: Array(try JSONEncoder().encode(tooMany)))
            #expect(refused.status == 400)
            let garbage = try await raw.send("POST", path, token: alice.token, body: Array("{\"ids\":[\"zz\"]}".utf8))
            #expect(garbage.status == 400)
            let empty = try await raw.send("POST", path, token: alice.token, body: Array("{\"ids\":[]}".utf8))
            #expect(empty.status == 200 && empty.body.isEmpty)
        }
    }

    @Test func onlyReadersOfTheVaultGetItsBlobs() async throws {
        try await SyncServerHarness.withServer { harness in
            let alice = try await harness.user("alice")
            let bob = try await harness.user("bob")
            let carol = try await harness.user("carol")
            let blob = SyncSamples.blob(4_096)
            let vault = try await vault(of: alice, holding: [blob])
            let grant = WrappedVaultKey(generation: 1, wrappedKey: Base64Bytes([9, 9, 9]))
            try await alice.client.addMember(vault, AddMemberRequest(userId: bob.id, role: .read, keys: [grant]))
            let raw = APITestClient(port: harness.app.localPort)
            let path = SyncPath.blobFetch(vault)
            let body = Array(try JSONEncoder().encode(BlobFetchRequest(ids: [blob.id])))

            let reader = try await raw.send("POST", path, token: bob.token, body: body)
            #expect(reader.status == 200 && reader.body == BlobBatchFraming.header(id: blob.id, length: 4_096) + blob.bytes)
            let stranger = try await raw.send("POST", path, token: carol.token, body: body)
            #expect(stranger.status == 404 && stranger.body.count < blob.bytes.count, "the refusal must not carry the blob")

            let accounts = harness.app.accounts
            guard case .device(let session) = try await accounts.authenticator.authenticate(token: bob.token) else {
                Issue.record("bob's token is a device token")
                return
            }
            try await accounts.revokeDevice(session.deviceID, by: .token(0))
            let revoked = try await raw.send("POST", path, token: bob.token, body: body)
            #expect(revoked.status == 401)
        }
    }
}
