import ArgumentParser
import CoffreClient
import CoffreProtocol

extension VaultRole: ExpressibleByArgument {}

/// `coffre vault …`: create, list, share, members, unshare.
struct VaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault", abstract: "Create, list and share vaults (end-to-end encrypted, names included).",
        discussion: "Opening vault keys needs your password: --password-file FILE, COFFRE_PASSWORD or the terminal.",
        subcommands: [Create.self, List.self, Share.self, Members.self, Unshare.self], defaultSubcommand: List.self)

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a vault with a new random key; you own it.")
        @Argument(help: "The vault's name (encrypted: the server never sees it).")
        var name: String
        @OptionGroup var unlock: UnlockOptions
        @Flag(name: .long, help: "Print the result as JSON.")
        var json = false

        func run() async throws {
            let vault = try await unlock.vaultClient().create(named: name)
            CommandOutput.print(json ? AccountReport.json(VaultReport.lines([vault])[0]) : "Vault created (id \(vault.id.hex)).\n")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your vaults and the ones shared with you: name, role, key generation.")
        @OptionGroup var unlock: UnlockOptions
        @Flag(name: .long, help: "Print the result as JSON.")
        var json = false

        func run() async throws {
            let vaults = try await unlock.vaultClient().vaults()
            CommandOutput.print(json ? AccountReport.json(VaultReport.lines(vaults)) : VaultReport.vaults(vaults))
        }
    }

    struct Share: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Share a vault you own with another user: its key is wrapped to their public key.",
            discussion: "Prints the fingerprint of their key: compare it with them over another channel.")
        @Argument(help: "The vault's name or id.")
        var name: String
        @Option(name: .long, help: "The user to share it with.")
        var with: String
        @Option(name: .long, help: "read or write (default write).")
        var role: VaultRole = .write
        @OptionGroup var unlock: UnlockOptions
        @Flag(name: .long, help: "Print the result as JSON.")
        var json = false

        func validate() throws {
            guard role != .owner else { throw ValidationError("--role must be read or write") }
        }

        func run() async throws {
            let client = try unlock.vaultClient()
            let share = try await client.share(try await client.vault(named: name), with: with, role: role)
            CommandOutput.print(
                json
                    ? AccountReport.json(["userId": "\(share.userID)", "userName": share.userName, "fingerprint": share.fingerprint])
                    : VaultReport.shared(share, role: role))
        }
    }

    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a vault's members with their key fingerprints.")
        @Argument(help: "The vault's name or id.")
        var name: String
        @OptionGroup var unlock: UnlockOptions
        @Flag(name: .long, help: "Print the result as JSON.")
        var json = false

        func run() async throws {
            let client = try unlock.vaultClient()
            let members = try await client.members(of: try await client.vault(named: name))
            CommandOutput.print(json ? AccountReport.json(VaultReport.lines(members)) : VaultReport.members(members))
        }
    }

    struct Unshare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a member from a vault you own, then start a new key generation for the others.")
        @Argument(help: "The vault's name or id.")
        var name: String
        @Option(name: .long, help: "The member to remove.")
        var with: String
        @OptionGroup var unlock: UnlockOptions

        func run() async throws {
            let client = try unlock.vaultClient()
            let generation = try await client.unshare(try await client.vault(named: name), with: with)
            CommandOutput.print("Removed. New content is sealed under key generation \(generation), which they never held.\n")
        }
    }
}
