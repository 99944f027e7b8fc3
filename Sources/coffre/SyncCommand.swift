import ArgumentParser
import CoffreClient
import CoffreProtocol
import Foundation
import Glibc

/// `coffre sync DIR --vault NAME [--once]`.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Keep a folder and a vault in step (end-to-end encrypted).",
        discussion: """
            Without --once, runs until SIGTERM or SIGINT: local changes are seen through inotify (with a full \
            scan every 10 minutes), remote ones through the server's changes feed. With --once, runs one pass \
            and exits 0 when the folder and the vault are identical, 9 with the reason otherwise. The folder \
            remembers its vault: --vault may be left out afterwards.
            """)

    @Argument(help: "The folder to sync (created if missing).")
    var folder: String
    @Option(name: .long, help: "The vault's name or id (see coffre vault list).")
    var vault: String?
    @Flag(name: .long, help: "Run one pass and exit.")
    var once = false
    @OptionGroup var unlock: UnlockOptions

    func run() async throws {
        let path = SyncFolderRegistry.absolute(folder)
        let registry = try ClientContext.registry()
        let registered = try registry.folders().first { $0.path == path }
        let client = try unlock.vaultClient()
        let target: VaultClient.Vault
        if let vault {
            target = try await client.vault(named: vault)
        } else if let registered {
            target = try await client.vault(id: registered.vaultId)
        } else {
            throw ValidationError("--vault is needed the first time a folder is synced")
        }
        // Checked first, recorded once the engine holds the folder: a refused folder is not
        // left in the registry.
        try registry.check(path, vault: target.id)
        try Self.makeFolder(path)
        let progress = ProgressLine.forStandardOutput()
        var callback: (@Sendable (SyncProgress) -> Void)?
        if let progress { callback = { reading in progress.update(reading) } }
        let engine = try await client.engine(folder: path, vault: target.id, progress: callback)
        try registry.register(path, vault: target.id)
        if once {
            try await runOnce(engine, path: path, registry: registry, progress: progress)
        } else {
            try await runDaemon(engine, path: path, registry: registry, progress: progress)
        }
    }

    private func runOnce(_ engine: SyncEngine, path: String, registry: SyncFolderRegistry, progress: ProgressLine?) async throws {
        let report: SyncReport
        do {
            report = try await engine.syncOnce()
        } catch {
            progress?.clear()
            let failure = VaultClient.syncError(error)
            try? registry.record(Self.failedPass(failure), for: path)
            throw failure
        }
        progress?.clear()
        try registry.record(Self.pass(report), for: path)
        CommandOutput.print(VaultReport.pass(report))
        if let reason = VaultReport.incompleteness(report) { throw VaultError.notIdentical(reason: reason) }
    }

    /// Runs the daemon until SIGTERM or SIGINT, then cancels it (the pass in progress stops at
    /// its next suspension point; everything it did is in the index) and returns: exit 0.
    private func runDaemon(_ engine: SyncEngine, path: String, registry: SyncFolderRegistry, progress: ProgressLine?) async throws {
        let stop = StopSignals()
        let daemon = Task { try await engine.run() }
        let recorder = Task {
            // coffre status reads what the last pass did from the registry, since the daemon
            // holds the folder's lock.
            var last: SyncStatus?
            while !Task.isCancelled {
                if let status = try? await engine.status(), status != last {
                    last = status
                    if status.state != .syncing, status.lastReport != nil || status.failureMessage != nil {
                        progress?.clear()
                        try? registry.record(Self.pass(status.lastReport ?? SyncReport(), failure: status.failureMessage), for: path)
                        // The service's log: one line per pass that failed or left something
                        // out, with counts and reasons, never names.
                        if let failure = status.failureMessage {
                            CommandOutput.warn("coffre: a pass failed: \(failure); retrying at the next change")
                        } else if let report = status.lastReport, let reason = VaultReport.incompleteness(report) {
                            CommandOutput.warn("coffre: not identical after a pass: \(reason)")
                        }
                    }
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        CommandOutput.warn("coffre: syncing; stop with SIGTERM or Ctrl-C")
        await stop.wait()
        daemon.cancel()
        recorder.cancel()
        _ = await recorder.result
        switch await daemon.result {
        case .success, .failure(is CancellationError): break
        case .failure(let error): throw VaultClient.syncError(error)
        }
        progress?.clear()
        CommandOutput.warn("coffre: stopped")
    }

    static func pass(_ report: SyncReport, failure: String? = nil) -> SyncFolderRegistry.Pass {
        SyncFolderRegistry.Pass(
            endedAt: Int64(Date().timeIntervalSince1970), identical: report.isIdentical && report.conflicts.isEmpty && failure == nil,
            conflicts: report.conflicts.count, skipped: report.skipped.count, failure: failure)
    }

    static func failedPass(_ error: VaultError) -> SyncFolderRegistry.Pass {
        SyncFolderRegistry.Pass(endedAt: Int64(Date().timeIntervalSince1970), identical: false, conflicts: 0, skipped: 0, failure: error.description)
    }

    /// Creates the folder (mode 0700) when it does not exist yet; its parent must.
    static func makeFolder(_ path: String) throws {
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            throw AccountError.system(operation: "create the folder", path: path, code: errno)
        }
    }
}

extension SyncStatus {
    /// The failure of the last pass, in words.
    var failureMessage: String? {
        if case .failed(let message) = state { return message }
        return nil
    }
}
