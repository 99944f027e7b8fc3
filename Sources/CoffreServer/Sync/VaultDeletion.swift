import CoffreProtocol

/// What deleting a vault leaves for the blob layer.
public struct VaultDeletion: Sendable, Equatable {
    /// The deleted vault; its blob namespace is its id in hex.
    public var vaultId: VaultID
    /// Blobs the vault's records listed.
    public var blobCount: Int64
    /// Their total size in bytes.
    public var blobBytes: Int64
}
