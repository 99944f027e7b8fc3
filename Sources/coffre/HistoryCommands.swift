import ArgumentParser
import CoffreClient
import CoffreProtocol
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

/// `coffre history PATH`.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List the retained revisions of a synced file, newest first.")
    @Argument(help: "A file inside a synced folder.")
    var path: String
    @OptionGroup var unlock: UnlockOptions
    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    struct Line: Encodable {
        let rev: Int64
        let committedAt: Int64
        let deleted: Bool
        let name: String?
        let size: UInt64?
    }

    func run() async throws {
        let target = try await SyncedPath.open(path, unlock: unlock)
        let revisions: [FileRevision]
        do { revisions = try await target.engine.history(of: target.relative) } catch { throw VaultClient.syncError(error) }
        let lines = revisions.map {
            Line(rev: $0.rev, committedAt: Int64($0.committedAt.timeIntervalSince1970), deleted: $0.deleted, name: $0.name, size: $0.size)
        }
        guard !json else { return CommandOutput.print(AccountReport.json(lines)) }
        var table = TextTable([
            TextTable.Column("REV", .right), TextTable.Column("COMMITTED"), TextTable.Column("SIZE", .right), TextTable.Column("NAME"),
        ])
        for line in lines {
            table.append([
                String(line.rev), DisplayFormat.time(line.committedAt), line.deleted ? "deleted" : line.size.map { DisplayFormat.bytes(Int64($0)) } ?? "?",
                line.name ?? "(record does not open)",
            ])
        }
        CommandOutput.print(table.render())
    }
}

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
