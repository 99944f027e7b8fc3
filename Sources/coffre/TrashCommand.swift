import ArgumentParser
import CoffreClient
import CoffreProtocol
import Foundation

/// `coffre trash [DIR]` and `coffre trash restore PATH`.
struct TrashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trash", abstract: "List deleted files of a synced folder, or bring one back.",
        subcommands: [List.self, Restore.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the trash of the synced folder holding DIR.")
        @Argument(help: "A synced folder (default: the current folder).")
        var folder: String = "."
        @OptionGroup var unlock: UnlockOptions
        @Flag(name: .long, help: "Print the result as JSON.")
        var json = false

        struct Line: Encodable {
            let path: String?
            let kind: String
            let deletedAtRev: Int64
        }

        func run() async throws {
            let target = try await SyncedPath.open(folder, unlock: unlock)
            let entries: [TrashedEntry]
            do { entries = try await target.engine.trash() } catch { throw VaultClient.syncError(error) }
            let lines = entries.map { Line(path: TrashCommand.path(of: $0), kind: "\($0.kind)", deletedAtRev: $0.deletedAt) }
            guard !json else { return CommandOutput.print(AccountReport.json(lines)) }
            var table = TextTable([TextTable.Column("DELETED AT REV", .right), TextTable.Column("KIND"), TextTable.Column("PATH")])
            for line in lines { table.append([String(line.deletedAtRev), line.kind, line.path ?? "(record does not open)"]) }
            CommandOutput.print(lines.isEmpty ? "the trash is empty\n" : table.render())
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bring a deleted file or folder back where it was.")
        @Argument(help: "The deleted path, inside a synced folder.")
        var path: String
        @OptionGroup var unlock: UnlockOptions

        func run() async throws {
            let target = try await SyncedPath.open(path, unlock: unlock)
            let report = try await target.changeAndSync { engine in
                let matches = try await engine.trash().filter { TrashCommand.path(of: $0) == target.relative }
                // The most recently deleted entry of that path (the trash lists newest first).
                guard let entry = matches.first else { throw SyncClientError.noSuchEntry }
                try await engine.restoreFromTrash(entry.entryID)
            }
            CommandOutput.print("Restored.\n" + VaultReport.pass(report))
        }
    }

    /// The path a trashed entry had, relative to the folder; nil when its name or folder is unknown.
    static func path(of entry: TrashedEntry) -> String? {
        guard let name = entry.name, let folder = entry.folder else { return nil }
        return folder.isEmpty ? name : folder + "/" + name
    }
}
