import ArgumentParser
import CoffreClient
import CoffreProtocol
import Foundation

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
