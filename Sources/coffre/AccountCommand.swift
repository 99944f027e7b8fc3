import ArgumentParser
import CoffreClient

/// `coffre account …`.
struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Create your account from an invite.", subcommands: [Setup.self])
}

/// `coffre account setup`: redeem the invite and log this device in.
struct Setup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create your account with the invite code from your administrator, and log this device in.",
        discussion: "Asks for a new password twice (at least 8 characters). It never leaves this machine: only keys derived from it do.")

    @OptionGroup var server: ServerOptions
    @Option(name: .long, help: "Your user name, as the administrator created it.")
    var user: String
    @Option(name: .long, help: "The invite code (cfi_…).")
    var invite: String
    @OptionGroup var password: PasswordOptions

    func run() async throws {
        let options = try server.signInOptions(user: user, cost: password.kdfCost)
        let client = try ClientContext.accountClient()
        try client.checkSetupIsPossible(inviteCode: invite)
        let secret = try password.password(prompt: "New password for \(options.userName): ", confirm: true)
        let signIn = try await client.setup(options, inviteCode: invite, password: secret)
        CommandOutput.print(AccountReport.signedIn(signIn, created: true, home: client.home))
    }
}
