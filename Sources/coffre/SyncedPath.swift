import ArgumentParser
import CoffreClient
import Foundation

/// A path inside a synced folder, and that folder's engine: what `history`, `restore` and
/// `trash` work on. The engine holds the folder's lock, so a running `coffre sync` of the same
/// folder must be stopped first (the error says so).
struct SyncedPath {
    let folder: SyncFolderRegistry.Folder
    /// The path relative to the folder, as on disk.
    let relative: String
    let engine: SyncEngine

    /// Finds the registered folder of `path` and opens its engine.
    static func open(_ path: String, unlock: UnlockOptions) async throws -> SyncedPath {
        let (folder, relative) = try ClientContext.registry().folder(containing: SyncFolderRegistry.absolute(path))
        let client = try unlock.vaultClient()
        return SyncedPath(folder: folder, relative: relative, engine: try await client.engine(folder: folder.path, vault: folder.vaultId))
    }

    /// Runs `body`, then one pass so the result is in the folder; engine errors become
    /// `VaultError`s.
    func changeAndSync(_ body: (SyncEngine) async throws -> Void) async throws -> SyncReport {
        do {
            try await body(engine)
            return try await engine.syncOnce()
        } catch {
            throw VaultClient.syncError(error)
        }
    }
}
