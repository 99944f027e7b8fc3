import ArgumentParser
import CoffreClient

/// `coffre login`.
struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Log this device in to an existing account.",
        discussion: "Refuses a server that asks for weaker password hashing than this client's minimum (a downgrade).")

    @OptionGroup var server: ServerOptions
    @Option(name: .long, help: "Your user name.")
    var user: String
    @OptionGroup var password: PasswordOptions

    func run() async throws {
        let options = try server.signInOptions(user: user, cost: password.kdfCost)
        let client = try ClientContext.accountClient()
        let secret = try password.password(prompt: "Password for \(options.userName): ", confirm: false)
        let signIn = try await client.login(options, password: secret)
        CommandOutput.print(AccountReport.signedIn(signIn, created: false, home: client.home))
    }
}

/// `coffre logout`.
struct Logout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Revoke this device's token and remove its local state.")

    func run() async throws {
        let state = try await ClientContext.accountClient().logout()
        CommandOutput.print("Logged out: device \(state.deviceID) of \(state.userName) on \(state.server) is revoked.\n")
    }
}

/// `coffre whoami`.
struct Whoami: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the account, server, device, scopes, quota and usage.")

    @Flag(name: .long, help: "Print the server's answer as JSON.")
    var json = false

    func run() async throws {
        let identity = try await ClientContext.accountClient().whoami()
        CommandOutput.print(json ? AccountReport.json(identity.account) : AccountReport.whoami(identity))
    }
}
