import ArgumentParser
import CoffreClient
import CoffreProtocol
import Foundation

/// `coffre restore PATH [--rev N] [--to OTHER]`.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Bring back an earlier revision of a synced file, in place or as another file.",
        discussion: "Without --rev, the revision before the current one. The folder is synced afterwards.")
    @Argument(help: "A file inside a synced folder.")
    var path: String
    @Option(name: .long, help: "The revision (see coffre history).")
    var rev: Int64?
    @Option(name: .long, help: "Restore as this new path (in a synced folder) instead of in place.")
    var to: String?
    @OptionGroup var unlock: UnlockOptions

    func run() async throws {
        let target = try await SyncedPath.open(path, unlock: unlock)
        let destination = try to.map { other in
            let (folder, relative) = try ClientContext.registry().folder(containing: SyncFolderRegistry.absolute(other))
            guard folder.path == target.folder.path else { throw ValidationError("--to must be in the same synced folder") }
            return relative
        }
        let report = try await target.changeAndSync { engine in
            let revision: Int64
            if let rev {
                revision = rev
            } else {
                let live = try await engine.history(of: target.relative).filter { !$0.deleted }
                guard live.count >= 2 else { throw SyncClientError.noSuchRevision }
                revision = live[1].rev
            }
            try await engine.restore(target.relative, revision: revision, to: destination)
        }
        CommandOutput.print("Restored.\n" + VaultReport.pass(report))
    }
}
