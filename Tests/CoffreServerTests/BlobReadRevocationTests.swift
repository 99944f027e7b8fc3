@testable import CoffreServer
import CoffreProtocol
import Foundation
import Testing

/// A blob GET is served from two caches (token hash → principal in `TokenAuthenticator`,
/// user → vault membership in `VaultReaderCache`), and a small blob's second GET from the fast
/// lane (`SmallBlobCache`). Each way of taking access away must refuse the very next GET.
@Suite struct BlobReadRevocationTests {
    enum Revocation: String, CaseIterable, CustomTestStringConvertible {
        case logout, deviceRevokedByAdmin, userDisabled, userDeleted, memberRemoved, vaultDeleted

        var testDescription: String { rawValue }

        /// The answer the reader's next GET gets: the token is dead (401), or the vault is not
        /// the reader's any more (404, like a vault that does not exist).
        var refusal: Int {
            switch self {
            case .logout, .deviceRevokedByAdmin, .userDisabled, .userDeleted: 401
            case .memberRemoved, .vaultDeleted: 404
            }
        }
    }

    /// With `http11`, the reads are plain HTTP/1.1 GETs, which the lean fast lane
    /// (`BlobFastLane`) answers; over HTTP/1.0 the route's attempt does.
    @Test(arguments: Revocation.allCases, [false, true])
    func theNextGetIsRefusedAtOnce(_ revocation: Revocation, http11: Bool) async throws {
        let harness = try await SyncServerHarness()
        defer { harness.removeData() }
        do {
            try await run(revocation, harness, http11: http11)
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    private func run(_ revocation: Revocation, _ harness: SyncServerHarness, http11: Bool) async throws {
        let alice = try await harness.user("alice")
        let bob = try await harness.user("bob")
        let vault = SyncSamples.vaultID()
        _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
        let grant = WrappedVaultKey(generation: 1, wrappedKey: Base64Bytes([9, 9, 9]))
        try await alice.client.addMember(vault, AddMemberRequest(userId: bob.id, role: .read, keys: [grant]))
        let blob = SyncSamples.blob(4_096)
        #expect(try await alice.client.putBlob(vault, blob.id, bytes: blob.bytes) == true)

        let raw = APITestClient(port: harness.app.localPort, http11: http11)
        let path = SyncPath.blob(vault, blob.id)
        // Twice: the first fills the caches, the second is served from them on the fast lane.
        for _ in 0..<2 {
            let read = try await raw.send("GET", path, token: bob.token)
            try #require(read.status == 200 && read.body == blob.bytes)
        }
        let fastAnswers = try await raw.fastLaneAnswers()
        #expect(fastAnswers == 1)

        let accounts = harness.app.accounts
        let session = try #require(
            try await accounts.authenticator.authenticate(token: bob.token).deviceSession, "bob's token is a device token")
        switch revocation {
        case .logout: try await accounts.logout(session)
        case .deviceRevokedByAdmin: try await accounts.revokeDevice(session.deviceID, by: .token(0))
        case .userDisabled: _ = try await accounts.setUser(named: "bob", disabled: true, by: .token(0))
        case .userDeleted: try await accounts.deleteUser(named: "bob", by: .token(0))
        case .memberRemoved: try await alice.client.removeMember(vault, user: bob.id)
        case .vaultDeleted: try await alice.client.deleteVault(vault)
        }

        let refused = try await raw.send("GET", path, token: bob.token)
        #expect(refused.status == revocation.refusal)
        let leaked = refused.body == blob.bytes
        #expect(!leaked, "the refusal must not carry the blob")
        #expect(try await raw.fastLaneAnswers() == fastAnswers, "the refusal came from the route")
        if revocation != .vaultDeleted {
            // The owner still reads it: only the reader's access went.
            let owner = try await raw.send("GET", path, token: alice.token)
            #expect(owner.status == 200 && owner.body == blob.bytes)
        }
    }
}

extension Principal {
    /// The device session, nil for an admin token.
    fileprivate var deviceSession: DeviceSession? {
        if case .device(let session) = self { return session }
        return nil
    }
}
