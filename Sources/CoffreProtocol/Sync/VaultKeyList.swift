/// The caller's grants of a vault's key, every generation they hold (`GET …/keys`).
public struct VaultKeyList: Sendable, Codable, Equatable {
    /// Ascending by generation.
    public var keys: [WrappedVaultKey]

    /// A list of grants.
    public init(keys: [WrappedVaultKey]) {
        self.keys = keys
    }
}

/// The answer to a key rotation (`POST …/keys`).
public struct KeyRotationResponse: Sendable, Codable, Equatable {
    /// The vault's new current key generation.
    public var generation: Int64

    /// The new generation.
    public init(generation: Int64) {
        self.generation = generation
    }
}
