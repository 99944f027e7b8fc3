/// One vault as its member sees it in the vault list.
public struct VaultSummary: Sendable, Codable, Equatable {
    /// The vault.
    public var vaultId: VaultID
    /// The encrypted vault name.
    public var name: Base64Bytes
    /// The caller's role.
    public var role: VaultRole
    /// The current key generation (1, 2, …).
    public var keyGeneration: Int64
    /// The caller's grant of the current generation's key (docs/format.md, "Vault key grants");
    /// nil when the owner has not yet granted it to the caller.
    public var wrappedKey: Base64Bytes?
    /// The vault's `seq`: the number of commits so far.
    public var seq: Int64

    /// One vault summary.
    public init(
        vaultId: VaultID, name: Base64Bytes, role: VaultRole, keyGeneration: Int64, wrappedKey: Base64Bytes?, seq: Int64
    ) {
        self.vaultId = vaultId
        self.name = name
        self.role = role
        self.keyGeneration = keyGeneration
        self.wrappedKey = wrappedKey
        self.seq = seq
    }
}

/// The vaults a user is a member of.
public struct VaultList: Sendable, Codable, Equatable {
    /// Ordered by vault id.
    public var vaults: [VaultSummary]

    /// A list of vaults.
    public init(vaults: [VaultSummary]) {
        self.vaults = vaults
    }
}

/// Creates a vault; the caller becomes its owner.
public struct CreateVaultRequest: Sendable, Codable, Equatable {
    /// Chosen by the client, which binds it into the grant and the name record before sending.
    public var vaultId: VaultID
    /// The encrypted vault name.
    public var name: Base64Bytes
    /// The caller's own grant of the generation-1 vault key.
    public var wrappedKey: Base64Bytes

    /// A creation request.
    public init(vaultId: VaultID, name: Base64Bytes, wrappedKey: Base64Bytes) {
        self.vaultId = vaultId
        self.name = name
        self.wrappedKey = wrappedKey
    }
}

/// Replaces a vault's encrypted name.
public struct RenameVaultRequest: Sendable, Codable, Equatable {
    /// The new encrypted name.
    public var name: Base64Bytes

    /// A rename request.
    public init(name: Base64Bytes) {
        self.name = name
    }
}
