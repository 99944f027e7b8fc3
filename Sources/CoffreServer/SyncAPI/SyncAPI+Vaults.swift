import CoffreProtocol
import HTTPServer

extension SyncAPI {
    /// Vaults: list, create, rename, delete; the caller's grants and key rotation.
    var vaultRoutes: [Route] {
        let store = store
        let blobs = blobs
        let authenticator = authenticator
        let small = Self.smallJSONBodyBytes
        return [
            Route(.get, SyncPath.vaults) { request in
                let session = try await authenticator.reader(for: request)
                return try .json(try await store.vaults(user: session.userID))
            },
            Route(.post, SyncPath.vaults) { request in
                let session = try await authenticator.device(for: request, requiring: .sync)
                let create = try await request.decodeJSON(CreateVaultRequest.self, maxBytes: small)
                return try .json(try await store.createVault(user: session.userID, create), status: .created)
            },
            Route(.delete, SyncPath.vaultPattern) { request in
                let session = try await authenticator.device(for: request, requiring: .sync)
                try await blobs.deleteVault(try request.vaultID(), user: session.userID)
                return .noContent
            },
            Route(.put, SyncPath.vaultNamePattern) { request in
                let session = try await authenticator.device(for: request, requiring: .sync)
                let vault = try request.vaultID()
                let rename = try await request.decodeJSON(RenameVaultRequest.self, maxBytes: small)
                try await store.renameVault(vault, user: session.userID, rename)
                return .noContent
            },
            Route(.get, SyncPath.keysPattern) { request in
                let session = try await authenticator.reader(for: request)
                return try .json(VaultKeyList(keys: try await store.vaultKeys(try request.vaultID(), user: session.userID)))
            },
            Route(.post, SyncPath.keysPattern) { request in
                let session = try await authenticator.device(for: request, requiring: .sync)
                let vault = try request.vaultID()
                let rotation = try await request.decodeJSON(KeyRotationRequest.self, maxBytes: Self.rotationBodyBytes)
                let generation = try await store.rotateKey(vault, user: session.userID, rotation)
                return try .json(KeyRotationResponse(generation: generation))
            },
        ]
    }

    /// Members and their keys, and the public keys of any user by name (to share with them).
    var memberRoutes: [Route] {
        let store = store
        let readers = blobs.readers
        let authenticator = authenticator
        let small = Self.smallJSONBodyBytes
        return [
            Route(.get, SyncPath.membersPattern) { request in
                let session = try await authenticator.reader(for: request)
                return try .json(try await store.members(try request.vaultID(), user: session.userID))
            },
            Route(.post, SyncPath.membersPattern) { request in
                let session = try await authenticator.device(for: request, requiring: .sync)
                let vault = try request.vaultID()
                let add = try await request.decodeJSON(AddMemberRequest.self, maxBytes: Self.rotationBodyBytes)
                try await store.addMember(vault, user: session.userID, add)
                return HTTPServerResponse(status: .created)
            },
            Route(.delete, SyncPath.memberPattern) { request in
                let session = try await authenticator.device(for: request, requiring: .sync)
                let vault = try request.vaultID()
                try await store.removeMember(vault, user: session.userID, member: try request.memberID())
                readers.invalidate(vault: vault)
                return .noContent
            },
            Route(.put, SyncPath.memberRolePattern) { request in
                let session = try await authenticator.device(for: request, requiring: .sync)
                let vault = try request.vaultID()
                let member = try request.memberID()
                let change = try await request.decodeJSON(ChangeRoleRequest.self, maxBytes: small)
                try await store.changeRole(vault, user: session.userID, member: member, change)
                readers.invalidate(vault: vault)
                return .noContent
            },
            Route(.get, SyncPath.memberKeysPattern) { request in
                let session = try await authenticator.reader(for: request)
                let vault = try request.vaultID()
                return try .json(try await store.publicKeys(ofMember: try request.memberID(), in: vault, user: session.userID))
            },
            Route(.get, SyncPath.userKeysPattern) { request in
                _ = try await authenticator.reader(for: request)
                guard let name = request.pathParameters["name"], UserName(rawValue: name) != nil else {
                    throw APIError.invalidUserName(UserName.problem(with: request.pathParameters["name"] ?? "") ?? "")
                }
                return try .json(try await store.publicKeys(ofUserNamed: name))
            },
        ]
    }

    /// A rotation carries one grant per member (at most `SyncLimits.maxMembersPerVault`, each
    /// at most `maxWrappedKeyBytes`, base64 and JSON around it), and so may an added member's
    /// list of older generations.
    static let rotationBodyBytes = 4 << 20
}
