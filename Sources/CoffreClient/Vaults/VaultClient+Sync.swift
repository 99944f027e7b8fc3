import CoffreProtocol

/// The sync engine of a folder, over HTTP, with this account's grant opener.
extension VaultClient {
    /// Opens `folder`'s engine for `vault`, after pinning the vault's members (the grants it
    /// opens must be signed by this account or a pinned member). `progress` is called with
    /// each progress reading. Throws `.sync(.folderBusy)` when another sync holds the folder,
    /// `.sync(.indexBelongsToAnotherVault)` when it syncs another vault.
    public func engine(
        folder: String, vault: VaultID, progress: (@Sendable (SyncProgress) -> Void)? = nil
    ) async throws(VaultError) -> SyncEngine {
        let opener = try await grantOpener(for: vault)
        var configuration = SyncConfiguration(folder: folder, deviceName: state.deviceName)
        configuration.progress = progress
        do {
            return try await SyncEngine(configuration: configuration, remote: HTTPSyncRemote(client: api, vaultID: vault), openGrant: opener)
        } catch {
            throw Self.syncError(error)
        }
    }

    /// Any error of the engine as a `VaultError`.
    public static func syncError(_ error: any Error) -> VaultError {
        switch error {
        case let error as VaultError: return error
        case let error as SyncClientError: return .sync(error)
        case let error as APIClientError: return .api(operation: "sync", error)
        default: return .sync(.remote(operation: "sync", underlying: error))
        }
    }
}
