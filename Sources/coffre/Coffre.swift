import ArgumentParser
import CoffreClient
import CoffreProtocol
import Foundation

/// `coffre`: the user's client. Thin: options are parsed here, the work is in `CoffreClient`
/// (`AccountClient`), the exit statuses are `ExitStatus` (docs/cli.md).
@main
struct Coffre: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coffre",
        abstract: "Coffre client: your account, devices, vaults and synced folders on a coffred server, end-to-end encrypted.",
        discussion: """
            State lives in $COFFRE_HOME (default ~/.config/coffre); another folder is another device. \
            Passwords are asked on the terminal, or read from --password-file FILE or COFFRE_PASSWORD. \
            Exit status: 0 ok, 1 refused by the server, 2 usage, 3 server unreachable, 4 authentication failed, \
            5 throttled, 6 local state missing or unusable, 7 server not trusted, 9 sync --once not identical (see docs/cli.md).
            """,
        version: CoffreVersion.current,
        subcommands: [
            AccountCommand.self, Login.self, Logout.self, Whoami.self, Devices.self, Password.self, VaultCommand.self, SyncCommand.self,
            StatusCommand.self, HistoryCommand.self, RestoreCommand.self, TrashCommand.self, Dav.self,
        ])

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
            CommandOutput.fail(error, tool: "coffre", parser: Self.self)
        }
    }
}
