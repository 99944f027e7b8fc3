import ArgumentParser
import CoffreClient

/// `coffre devices [list]` and `coffre devices revoke ID`.
struct Devices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List your devices, or revoke one.", subcommands: [List.self, Revoke.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your devices; * marks this one.")

        @Flag(name: .long, help: "Print the server's answer as JSON.")
        var json = false

        func run() async throws {
            let list = try await ClientContext.accountClient().devices()
            CommandOutput.print(json ? AccountReport.json(list) : AccountReport.devices(list))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign another of your devices out at once.")

        @Argument(help: "The device id (see coffre devices).")
        var id: Int64

        func run() async throws {
            try await ClientContext.accountClient().revokeDevice(id)
            CommandOutput.print("Device \(id) is revoked.\n")
        }
    }
}
