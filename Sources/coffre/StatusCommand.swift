import ArgumentParser
import CoffreClient
import CoffreProtocol
import Foundation

/// `coffre status`: every folder this `COFFRE_HOME` syncs.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show each synced folder: state, last sync, pending changes, conflicts.",
        discussion: "Needs no password: it reads the folders' indexes and what the last coffre sync recorded.")

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    /// One folder's status.
    struct Line: Encodable {
        let folder: String
        let vaultId: String
        let state: String
        let lastSync: Int64?
        let pendingCommits: Int?
        let remoteChangesWaiting: Int?
        let syncedEntries: Int?
        let conflicts: Int?
        let skipped: Int?
        let lastFailure: String?
    }

    func run() async throws {
        let home = try ClientContext.home()
        let state = try home.requireState()
        let api = try VaultClient.syncAPI(for: state)
        var lines: [Line] = []
        for folder in try SyncFolderRegistry(home: home).folders() {
            lines.append(await Self.line(folder, api: api))
        }
        CommandOutput.print(json ? AccountReport.json(lines) : Self.render(lines))
    }

    /// The folder's index read through an engine that opens no key; when a running
    /// `coffre sync` holds the folder, what its last pass recorded.
    static func line(_ folder: SyncFolderRegistry.Folder, api: SyncAPIClient) async -> Line {
        let pass = folder.lastPass
        let configuration = SyncConfiguration(folder: folder.path, deviceName: "status")
        let opener: @Sendable (WrappedVaultKey) throws -> VaultKey = { _ in throw SyncClientError.missingVaultKey(generation: 0) }
        do {
            let engine = try await SyncEngine(
                configuration: configuration, remote: HTTPSyncRemote(client: api, vaultID: folder.vaultId), openGrant: opener)
            let status = try await engine.status()
            let state = pass?.failure != nil ? "failed" : (pass?.identical == true ? "idle, in sync" : "idle, not in sync")
            return Line(
                folder: folder.path, vaultId: folder.vaultId.hex, state: pass == nil ? "never synced" : state,
                lastSync: status.lastSync.map { Int64($0.timeIntervalSince1970) }, pendingCommits: status.pendingCommits,
                remoteChangesWaiting: status.remoteChangesWaiting, syncedEntries: status.syncedEntries, conflicts: pass?.conflicts,
                skipped: pass?.skipped, lastFailure: pass?.failure)
        } catch SyncClientError.folderBusy {
            return Line(
                folder: folder.path, vaultId: folder.vaultId.hex, state: "syncing (coffre sync is running)",
                lastSync: pass.flatMap { $0.identical ? $0.endedAt : nil }, pendingCommits: nil, remoteChangesWaiting: nil,
                syncedEntries: nil, conflicts: pass?.conflicts, skipped: pass?.skipped, lastFailure: pass?.failure)
        } catch {
            return Line(
                folder: folder.path, vaultId: folder.vaultId.hex, state: "unavailable: \(VaultClient.syncError(error))", lastSync: nil,
                pendingCommits: nil, remoteChangesWaiting: nil, syncedEntries: nil, conflicts: pass?.conflicts, skipped: pass?.skipped,
                lastFailure: pass?.failure)
        }
    }

    static func render(_ lines: [Line]) -> String {
        guard !lines.isEmpty else { return "no synced folders; start one with coffre sync DIR --vault NAME\n" }
        return lines.map { line in
            var fields: [(String, String)] = [("folder", line.folder), ("state", line.state)]
            fields.append(("last sync", line.lastSync.map(DisplayFormat.time) ?? "never"))
            if let pending = line.pendingCommits, let waiting = line.remoteChangesWaiting {
                fields.append(("pending", "\(pending) commit(s) to send, \(waiting) remote change(s) to apply"))
            }
            if let entries = line.syncedEntries { fields.append(("synced", "\(entries) entries")) }
            if let conflicts = line.conflicts { fields.append(("conflicts", "\(conflicts) in the last pass")) }
            if let skipped = line.skipped, skipped > 0 { fields.append(("skipped", "\(skipped) item(s) in the last pass")) }
            if let failure = line.lastFailure { fields.append(("last error", failure)) }
            let width = fields.map(\.0.count).max() ?? 0
            return fields.map { name, value in
                name + String(repeating: " ", count: width - name.count) + "  " + TerminalText.sanitized(value, limit: 4096)
            }.joined(separator: "\n") + "\n"
        }.joined(separator: "\n")
    }
}
