import CoffreProtocol

/// One blob of one vault, with its size: what GC and pruning hand to the blob layer, whose
/// namespace for the vault is the vault id in hex.
public struct VaultBlob: Sendable, Hashable {
    /// The vault.
    public var vaultId: VaultID
    /// The blob.
    public var blob: BlobID
    /// Its size in bytes.
    public var size: Int64

    /// One blob of one vault.
    public init(vaultId: VaultID, blob: BlobID, size: Int64) {
        self.vaultId = vaultId
        self.blob = blob
        self.size = size
    }
}
