import CoffreProtocol
import CoffreServer
import Testing

/// Vaults, members, roles and key generations.
@Suite struct SyncStoreVaultTests {
    typealias F = SyncFixture

    @Test func theCreatorOwnsTheVaultAndSeesItsGrant() async throws {
        let fixture = try await F()
        let id = F.randomVaultID()
        let created = try await fixture.store.createVault(
            user: 1, CreateVaultRequest(vaultId: id, name: Base64Bytes([9]), wrappedKey: F.grant(1, 1)))
        let listed = try await fixture.store.vaults(user: 1).vaults
        #expect(listed == [created])
        #expect(created.role == .owner)
        #expect(created.keyGeneration == 1)
        #expect(created.wrappedKey == F.grant(1, 1))
        #expect(created.seq == 0)
        #expect(try await fixture.store.vaults(user: 2).vaults.isEmpty)
    }

    @Test func creationRefusesTakenIdsUnknownUsersAndOversizedFields() async throws {
        let fixture = try await F()
        let id = try await fixture.vault()
        await #expect(throws: SyncError.stateConflict("the vault id is taken")) {
            try await fixture.store.createVault(
                user: 2, CreateVaultRequest(vaultId: id, name: Base64Bytes([1]), wrappedKey: F.grant(2, 1)))
        }
        await #expect(throws: SyncError.memberNotFound) {
            try await fixture.store.createVault(
                user: 99,
                CreateVaultRequest(vaultId: F.randomVaultID(), name: Base64Bytes([1]), wrappedKey: F.grant(99, 1)))
        }
        let huge = Base64Bytes([UInt8](repeating: 0, count: 4097))
        for request in [
            CreateVaultRequest(vaultId: F.randomVaultID(), name: huge, wrappedKey: F.grant(1, 1)),
            CreateVaultRequest(vaultId: F.randomVaultID(), name: Base64Bytes([]), wrappedKey: F.grant(1, 1)),
            CreateVaultRequest(
                vaultId: F.randomVaultID(), name: Base64Bytes([1]),
                wrappedKey: Base64Bytes([UInt8](repeating: 0, count: 1025))),
        ] {
            await #expect(throws: SyncError.self) { try await fixture.store.createVault(user: 1, request) }
        }
        #expect(try await fixture.integer("SELECT count(*) FROM vaults") == 1)
    }

    @Test func onlyOwnersRenameAndNonMembersLearnNothing() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        try await fixture.add(2, to: vault, role: .write)
        await #expect(throws: SyncError.forbidden(required: .owner)) {
            try await fixture.store.renameVault(vault, user: 2, RenameVaultRequest(name: Base64Bytes([5])))
        }
        await #expect(throws: SyncError.vaultNotFound) {
            try await fixture.store.renameVault(vault, user: 3, RenameVaultRequest(name: Base64Bytes([5])))
        }
        await #expect(throws: SyncError.vaultNotFound) { try await fixture.store.members(vault, user: 3) }
        try await fixture.store.renameVault(vault, user: 1, RenameVaultRequest(name: Base64Bytes([5])))
        #expect(try await fixture.store.vaults(user: 2).vaults.first?.name == Base64Bytes([5]))
    }

    @Test func addingAMemberNeedsTheCurrentGenerationsGrant() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let noCurrent = AddMemberRequest(userId: 2, role: .read, keys: [])
        await #expect(throws: SyncError.self) { try await fixture.store.addMember(vault, user: 1, noCurrent) }
        let future = AddMemberRequest(
            userId: 2, role: .read,
            keys: [
                WrappedVaultKey(generation: 1, wrappedKey: F.grant(2, 1)),
                WrappedVaultKey(generation: 2, wrappedKey: F.grant(2, 2)),
            ])
        await #expect(throws: SyncError.self) { try await fixture.store.addMember(vault, user: 1, future) }
        let twice = AddMemberRequest(
            userId: 2, role: .read,
            keys: [
                WrappedVaultKey(generation: 1, wrappedKey: F.grant(2, 1)),
                WrappedVaultKey(generation: 1, wrappedKey: F.grant(2, 1)),
            ])
        await #expect(throws: SyncError.self) { try await fixture.store.addMember(vault, user: 1, twice) }
        await #expect(throws: SyncError.memberNotFound) {
            try await fixture.store.addMember(
                vault, user: 1,
                AddMemberRequest(
                    userId: 99, role: .read, keys: [WrappedVaultKey(generation: 1, wrappedKey: F.grant(99, 1))]))
        }
        try await fixture.add(2, to: vault, role: .read)
        await #expect(throws: SyncError.stateConflict("the user is already a member")) {
            try await fixture.add(2, to: vault, role: .write)
        }
        // Only owners add members.
        await #expect(throws: SyncError.forbidden(required: .owner)) {
            try await fixture.store.addMember(
                vault, user: 2,
                AddMemberRequest(
                    userId: 3, role: .read, keys: [WrappedVaultKey(generation: 1, wrappedKey: F.grant(3, 1))]))
        }
        let summary = try await fixture.store.vaults(user: 2).vaults.first
        #expect(summary?.role == .read)
        #expect(summary?.wrappedKey == F.grant(2, 1))
        let members = try await fixture.store.members(vault, user: 2)
        #expect(members.members.map(\.userId) == [1, 2])
        #expect(members.members.map(\.role) == [.owner, .read])
        #expect(members.members.map(\.keyGenerations) == [[1], [1]])
    }

    @Test func removingMembersKeepsAnOwnerAndLetsMembersLeave() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        try await fixture.add(2, to: vault, role: .write)
        try await fixture.add(3, to: vault, role: .read)
        await #expect(throws: SyncError.stateConflict("a vault keeps at least one owner")) {
            try await fixture.store.removeMember(vault, user: 1, member: 1)
        }
        await #expect(throws: SyncError.stateConflict("a vault keeps at least one owner")) {
            try await fixture.store.changeRole(vault, user: 1, member: 1, ChangeRoleRequest(role: .write))
        }
        await #expect(throws: SyncError.forbidden(required: .owner)) {
            try await fixture.store.removeMember(vault, user: 2, member: 3)
        }
        await #expect(throws: SyncError.memberNotFound) {
            try await fixture.store.removeMember(vault, user: 1, member: 4)
        }
        try await fixture.store.removeMember(vault, user: 3, member: 3)
        try await fixture.store.removeMember(vault, user: 1, member: 2)
        await #expect(throws: SyncError.vaultNotFound) {
            try await fixture.store.changes(vault, user: 2, since: 0, limit: 1)
        }
        #expect(try await fixture.integer("SELECT count(*) FROM vault_keys") == 1)
        // With a second owner, the first may step down.
        try await fixture.add(4, to: vault, role: .owner)
        try await fixture.store.changeRole(vault, user: 4, member: 1, ChangeRoleRequest(role: .read))
        #expect(try await fixture.store.vaults(user: 1).vaults.first?.role == .read)
    }

    @Test func aNewKeyGenerationCoversExactlyTheRemainingMembers() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        try await fixture.add(2, to: vault, role: .write)
        try await fixture.add(3, to: vault, role: .read)
        try await fixture.store.removeMember(vault, user: 1, member: 3)
        let grants = [
            MemberGrant(userId: 1, wrappedKey: F.grant(1, 2)), MemberGrant(userId: 2, wrappedKey: F.grant(2, 2)),
        ]
        // Missing a member, including a removed one, or skipping a generation: refused.
        for request in [
            KeyRotationRequest(generation: 2, grants: Array(grants.prefix(1))),
            KeyRotationRequest(generation: 2, grants: grants + [MemberGrant(userId: 3, wrappedKey: F.grant(3, 2))]),
            KeyRotationRequest(generation: 3, grants: grants),
            KeyRotationRequest(generation: 2, grants: grants + grants.prefix(1)),
        ] {
            await #expect(throws: SyncError.self) { try await fixture.store.rotateKey(vault, user: 1, request) }
        }
        await #expect(throws: SyncError.forbidden(required: .owner)) {
            try await fixture.store.rotateKey(vault, user: 2, KeyRotationRequest(generation: 2, grants: grants))
        }
        #expect(
            try await fixture.store.rotateKey(vault, user: 1, KeyRotationRequest(generation: 2, grants: grants)) == 2)
        let summary = try await fixture.store.vaults(user: 2).vaults.first
        #expect(summary?.keyGeneration == 2)
        #expect(summary?.wrappedKey == F.grant(2, 2))
        #expect(try await fixture.store.vaultKeys(vault, user: 2).map(\.generation) == [1, 2])
        // A second rotation to the same generation (a concurrent owner) is refused.
        await #expect(throws: SyncError.self) {
            try await fixture.store.rotateKey(vault, user: 1, KeyRotationRequest(generation: 2, grants: grants))
        }
        // A member added later gets every generation it is given.
        try await fixture.store.addMember(
            vault, user: 1,
            AddMemberRequest(
                userId: 4, role: .read,
                keys: [
                    WrappedVaultKey(generation: 1, wrappedKey: F.grant(4, 1)),
                    WrappedVaultKey(generation: 2, wrappedKey: F.grant(4, 2)),
                ]))
        #expect(try await fixture.store.vaultKeys(vault, user: 4).map(\.wrappedKey) == [F.grant(4, 1), F.grant(4, 2)])
    }

    @Test func deletingAVaultRemovesEverythingOfItAndOnlyIt() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let kept = try await fixture.vault()
        try await fixture.add(2, to: vault, role: .write)
        for target in [vault, kept] {
            try await fixture.store(blobs: [F.blob("a"), F.blob("b")], in: target, size: 10)
            try await fixture.commit(target, [F.file(F.randomEntryID(), named: "f", blobs: [F.blob("a")])])
            _ = try await fixture.store.commit(
                target, user: 1,
                CommitRequest(commitId: CommitID(high: 1, low: 2), changes: [F.folder(F.randomEntryID(), named: "d")]))
        }
        await #expect(throws: SyncError.forbidden(required: .owner)) {
            try await fixture.store.deleteVault(vault, user: 2)
        }
        await #expect(throws: SyncError.vaultNotFound) { try await fixture.store.deleteVault(vault, user: 3) }
        let deletion = try await fixture.store.deleteVault(vault, user: 1)
        #expect(deletion.vaultId == vault)
        #expect(deletion.blobCount == 2)
        #expect(deletion.blobBytes == 20)
        for table in ["vault_members", "vault_keys", "blobs", "revisions", "revision_blobs", "entries", "commits"] {
            let vaults = try await fixture.integers("SELECT DISTINCT vault FROM \(table)")
            #expect(vaults.count == 1, "\(table) still holds rows of the deleted vault")
        }
        #expect(try await fixture.store.vaults(user: 1).vaults.map(\.vaultId) == [kept])
        await #expect(throws: SyncError.vaultNotFound) { try await fixture.store.deleteVault(vault, user: 1) }
    }
}
