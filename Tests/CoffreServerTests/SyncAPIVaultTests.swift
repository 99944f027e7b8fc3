@testable import CoffreServer
import CoffreClient
import CoffreProtocol
import Foundation
import Testing

/// Vaults, members, keys and public keys through the real routes.
@Suite struct SyncAPIVaultTests {
    @Test func vaultLifecycleMembersAndKeys() async throws {
        let harness = try await SyncServerHarness()
        defer { harness.removeData() }
        do {
            let alice = try await harness.user("alice")
            let bob = try await harness.user("bob")
            let vault = SyncSamples.vaultID()
            let created = try await alice.client.createVault(SyncSamples.createRequest(vault))
            #expect(created.role == .owner && created.keyGeneration == 1 && created.seq == 0)
            #expect(try await alice.client.vaults().vaults.map(\.vaultId) == [vault])
            #expect(try await bob.client.vaults().vaults.isEmpty)

            // Sharing: bob's public keys by name, then a grant for him.
            let bobKeys = try await alice.client.userKeys(named: "bob")
            #expect(bobKeys.userId == bob.id && bobKeys.x25519PublicKey == bob.keys.x25519PublicKey)
            let grant = WrappedVaultKey(generation: 1, wrappedKey: Base64Bytes([9, 9, 9]))
            try await alice.client.addMember(vault, AddMemberRequest(userId: bob.id, role: .read, keys: [grant]))
            #expect(try await bob.client.vaultKeys(vault).keys == [grant])
            #expect(try await bob.client.memberKeys(vault, user: alice.id).ed25519PublicKey == alice.keys.ed25519PublicKey)
            let members = try await bob.client.members(vault)
            #expect(members.members.map(\.userId) == [alice.id, bob.id].sorted())

            // A reader cannot rename; the owner can, and can promote.
            await expectRefusal(.forbidden, status: 403) { () throws(APIClientError) in
                try await bob.client.renameVault(vault, RenameVaultRequest(name: Base64Bytes([4])))
            }
            try await alice.client.renameVault(vault, RenameVaultRequest(name: Base64Bytes([4])))
            try await alice.client.changeRole(vault, user: bob.id, to: .owner)
            #expect(try await bob.client.vaults().vaults.first?.role == .owner)

            // Rotation needs one grant per member and the next generation.
            let rotation = KeyRotationRequest(
                generation: 2,
                grants: [MemberGrant(userId: alice.id, wrappedKey: Base64Bytes([1])), MemberGrant(userId: bob.id, wrappedKey: Base64Bytes([2]))])
            #expect(try await alice.client.rotateKey(vault, rotation) == 2)
            await expectRefusal(.stateConflict, status: 409) { () throws(APIClientError) in
                try await alice.client.rotateKey(vault, rotation)
            }

            // Bob leaves; the vault is gone from his list and answers him 404.
            try await bob.client.removeMember(vault, user: bob.id)
            #expect(try await bob.client.vaults().vaults.isEmpty)
            await expectRefusal(.notFound, status: 404) { () throws(APIClientError) in try await bob.client.members(vault) }

            try await alice.client.deleteVault(vault)
            #expect(try await alice.client.vaults().vaults.isEmpty)
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    @Test func publicKeysNeedARegisteredNameAndAValidOne() async throws {
        let harness = try await SyncServerHarness()
        defer { harness.removeData() }
        do {
            let alice = try await harness.user("alice")
            _ = try await harness.app.accounts.createUser(CreateUserRequest(userName: "pending"), by: .token(0))
            for name in ["nobody", "pending"] {
                await expectRefusal(.notFound, status: 404) { () throws(APIClientError) in
                    try await alice.client.userKeys(named: name)
                }
            }
            let raw = APITestClient(port: harness.app.localPort)
            let response = try await raw.send("GET", "/v1/users/Alice%2F/keys", token: alice.token)
            #expect(response.status == 400 && response.errorCode == "invalid_user_name")
            // A vault member's keys only for members of the same vault.
            let vault = SyncSamples.vaultID()
            _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
            let bob = try await harness.user("bob")
            await expectRefusal(.notFound, status: 404) { () throws(APIClientError) in
                try await alice.client.memberKeys(vault, user: bob.id)
            }
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }
}
