import ArgumentParser
import CoffreClient
import CoffreProtocol

/// `coffre-admin device list [NAME]`, `coffre-admin device revoke ID`.
struct DeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device", abstract: "List or revoke devices of any user.", subcommands: [List.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every user's devices, or one user's.")
        @OptionGroup var options: AdminOptions
        @Argument(help: "Only this user's devices.")
        var name: String?

        func run() async throws {
            let user = try name.map { text throws(AccountError) in try userName(text) }
            let list = try await options.call { (api, _) throws(APIClientError) in try await api.allDevices(of: user) }
            options.show(list) { AccountReport.devices($0, showUser: true) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a device: its token stops working at once.")
        @OptionGroup var options: AdminOptions
        @Argument(help: "The device id (see device list).")
        var id: Int64

        func run() async throws {
            try await options.call { (api, _) throws(APIClientError) in try await api.revokeAnyDevice(id) }
            CommandOutput.print("Device \(id) is revoked.\n")
        }
    }
}
