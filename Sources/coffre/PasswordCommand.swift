import ArgumentParser
import CoffreClient
import Foundation

/// `coffre password change`.
struct Password: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Change your password.", subcommands: [Change.self])

    struct Change: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change your password; your keys stay the same, re-wrapped under the new one.",
            discussion: """
                The current password comes from --password-file, COFFRE_PASSWORD or the terminal; the new one \
                from --new-password-file, COFFRE_NEW_PASSWORD or the terminal (asked twice).
                """)

        @OptionGroup var password: PasswordOptions
        @Option(name: .long, help: "Read the new password from the first line of FILE.")
        var newPasswordFile: String?
        @Flag(name: .long, help: "Sign every other device of the account out.")
        var revokeOtherDevices = false

        func run() async throws {
            let client = try ClientContext.accountClient()
            let current = try password.password(prompt: "Current password: ", confirm: false)
            let source = PasswordInput.source(
                file: newPasswordFile, variable: "COFFRE_NEW_PASSWORD", environment: ProcessInfo.processInfo.environment)
            let new = try PasswordInput.read(from: source, prompt: "New password: ", confirm: true)
            let answer = try await client.changePassword(
                current: current, new: new, cost: password.kdfCost, revokeOtherDevices: revokeOtherDevices)
            let others = revokeOtherDevices ? " \(answer.revokedDevices) other device(s) signed out." : ""
            CommandOutput.print("Password changed.\(others)\n")
        }
    }
}
