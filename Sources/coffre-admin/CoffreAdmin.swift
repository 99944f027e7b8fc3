import ArgumentParser
import CoffreClient
import CoffreProtocol
import Foundation

/// `coffre-admin`: the operator's tool over coffred's admin API. Thin: options are parsed
/// here, requests and tables are in `CoffreClient` (`CoffreAPI`, `AdminReport`).
@main
struct CoffreAdmin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coffre-admin",
        abstract: "Administer a coffred server: users and invites, quotas, devices, audit log, stats, admin tokens, gc, fsck, backup.",
        discussion: """
            On the server's machine: coffre-admin --data DIR … (reads DIR/coffred.url and DIR/admin.token). \
            Remotely: --server URL with --token TOKEN or COFFRE_ADMIN_TOKEN. Tables by default, --json for the wire JSON. \
            Exit status: 0 ok, 1 refused by the server (not found, exists, invalid), 2 usage, 3 server unreachable, \
            4 token refused, 6 local files unusable, 7 TLS failed, 8 fsck found damage (see docs/cli.md).
            """,
        version: CoffreVersion.current,
        subcommands: [
            UserCommand.self, DeviceCommand.self, AuditCommand.self, StatsCommand.self, TokenCommand.self, ThrottleCommand.self,
            GCCommand.self, FsckCommand.self, BackupCommand.self,
        ])

    @OptionGroup var options: AdminOptions

    /// Runs the command; every failure ends as one line on stderr and a documented status.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            CommandOutput.fail(error, tool: "coffre-admin", parser: Self.self)
        }
    }
}
