import CoffreProtocol

/// Vaults, members and keys.
extension SyncAPIClient {
    /// The caller's vaults.
    public func vaults() async throws(APIClientError) -> VaultList {
        try await call(.get, SyncPath.vaults)
    }

    /// Creates a vault; the caller becomes its owner.
    public func createVault(_ request: CreateVaultRequest) async throws(APIClientError) -> VaultSummary {
        try await call(.post, SyncPath.vaults, json: request, expecting: [201])
    }

    /// Replaces the vault's encrypted name (owner).
    public func renameVault(_ vault: VaultID, _ request: RenameVaultRequest) async throws(APIClientError) {
        try await callWithoutContent(.put, SyncPath.vaultName(vault), json: request)
    }

    /// Deletes the vault and all it holds (owner).
    public func deleteVault(_ vault: VaultID) async throws(APIClientError) {
        try await callWithoutContent(.delete, SyncPath.vault(vault))
    }

    /// The vault's members.
    public func members(_ vault: VaultID) async throws(APIClientError) -> MemberList {
        try await call(.get, SyncPath.members(vault))
    }

    /// Adds a member with their grants (owner).
    public func addMember(_ vault: VaultID, _ request: AddMemberRequest) async throws(APIClientError) {
        try await callWithoutContent(.post, SyncPath.members(vault), json: request, expecting: [201])
    }

    /// Removes a member (owner), or leaves (the caller's own id).
    public func removeMember(_ vault: VaultID, user: Int64) async throws(APIClientError) {
        try await callWithoutContent(.delete, SyncPath.member(vault, user))
    }

    /// Changes a member's role (owner).
    public func changeRole(_ vault: VaultID, user: Int64, to role: VaultRole) async throws(APIClientError) {
        try await callWithoutContent(.put, SyncPath.memberRole(vault, user), json: ChangeRoleRequest(role: role))
    }

    /// A member's public keys, to wrap a new key generation for them.
    public func memberKeys(_ vault: VaultID, user: Int64) async throws(APIClientError) -> UserPublicKeys {
        try await call(.get, SyncPath.memberKeys(vault, user))
    }

    /// A user's public keys by name, to share a vault with them.
    public func userKeys(named name: String) async throws(APIClientError) -> UserPublicKeys {
        guard UserName(rawValue: name) != nil else {
            throw .badResponse(status: 0, reason: "not a valid user name")
        }
        return try await call(.get, SyncPath.userKeys(name))
    }

    /// The caller's grants of the vault key, every generation.
    public func vaultKeys(_ vault: VaultID) async throws(APIClientError) -> VaultKeyList {
        try await call(.get, SyncPath.keys(vault))
    }

    /// Starts the next key generation with one grant per member (owner); returns it.
    public func rotateKey(_ vault: VaultID, _ request: KeyRotationRequest) async throws(APIClientError) -> Int64 {
        let answer: KeyRotationResponse = try await call(.post, SyncPath.keys(vault), json: request)
        return answer.generation
    }
}
