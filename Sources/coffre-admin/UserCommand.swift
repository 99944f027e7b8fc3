import ArgumentParser
import CoffreClient
import CoffreProtocol
import CoffreServer

/// `coffre-admin user …`.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Create, list, show, disable, enable and delete users; quotas and invites.",
        subcommands: [Add.self, List.self, Show.self, Disable.self, Enable.self, Delete.self, Quota.self, Invite.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user and print their single-use invite with the coffre command to give them.")
        @OptionGroup var options: AdminOptions
        @Argument(help: "User name: 1-64 of a-z 0-9 . _ -, starting with a letter or digit.")
        var name: String
        @Option(name: .long, help: "Storage quota (e.g. 10GiB, 500MB) or unlimited; default: the server's default.")
        var quota: String?
        @Flag(name: .long, help: "Let the user request the admin scope.")
        var admin = false

        func run() async throws {
            let user = try userName(name)
            // nil: the server's default; .some(nil): unlimited; .some(bytes): that limit.
            let limit: Int64?? = try quota.map { text throws(AccountError) in try Quota.parse(text) }
            let (created, server) = try await options.call { (api, server) throws(APIClientError) in
                let created = try await api.createUser(
                    CreateUserRequest(userName: user.rawValue, isAdmin: admin, quotaBytes: limit.flatMap { $0 }))
                // The server's default applies when no quota is sent: "unlimited" needs its own call.
                if case .some(.none) = limit { _ = try await api.setQuota(of: user, bytes: nil) }
                return (created, server)
            }
            options.show(created) { AdminReport.createdUser($0, server: server) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every user.")
        @OptionGroup var options: AdminOptions

        func run() async throws {
            let users = try await options.call { (api, _) throws(APIClientError) in try await api.users() }
            options.show(users, AdminReport.users)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a user, their devices and pending invite.")
        @OptionGroup var options: AdminOptions
        @Argument var name: String

        func run() async throws {
            let user = try userName(name)
            let detail = try await options.call { (api, _) throws(APIClientError) in try await api.user(user) }
            options.show(detail, AdminReport.user)
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user: their tokens are refused at once (reversible).")
        @OptionGroup var options: AdminOptions
        @Argument var name: String

        func run() async throws {
            let user = try userName(name)
            let info = try await options.call { (api, _) throws(APIClientError) in try await api.setUser(user, disabled: true) }
            options.show(info, AdminReport.userLine)
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user again.")
        @OptionGroup var options: AdminOptions
        @Argument var name: String

        func run() async throws {
            let user = try userName(name)
            let info = try await options.call { (api, _) throws(APIClientError) in try await api.setUser(user, disabled: false) }
            options.show(info, AdminReport.userLine)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a user and everything the server holds about them. Not reversible.")
        @OptionGroup var options: AdminOptions
        @Argument var name: String
        @Flag(name: .long, help: "Confirm the deletion.")
        var yes = false

        func run() async throws {
            let user = try userName(name)
            guard yes else { throw AccountError.invalidArgument("deleting \(user) erases the account and its data for good; add --yes to confirm") }
            try await options.call { (api, _) throws(APIClientError) in try await api.deleteUser(user) }
            CommandOutput.print("Deleted user \(user).\n")
        }
    }

    struct Quota: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's storage quota.")
        @OptionGroup var options: AdminOptions
        @Argument var name: String
        @Argument(help: "A size (10GiB, 500MB, 1048576) or unlimited.")
        var size: String

        func run() async throws {
            let user = try userName(name)
            let limit = try Self.parse(size)
            let info = try await options.call { (api, _) throws(APIClientError) in try await api.setQuota(of: user, bytes: limit) }
            options.show(info, AdminReport.userLine)
        }

        /// `unlimited` → nil; a size as coffred's configuration writes it (`ByteSize`).
        static func parse(_ text: String) throws(AccountError) -> Int64? {
            if text.lowercased() == "unlimited" { return nil }
            guard let bytes = ByteSize.parse(text) else {
                throw .invalidArgument("quota: give a size such as 10GiB, 500MB or 1048576, or unlimited")
            }
            return bytes
        }
    }

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a new invite for a user who has not set up their account yet; older codes stop working.")
        @OptionGroup var options: AdminOptions
        @Argument var name: String

        func run() async throws {
            let user = try userName(name)
            let (invite, server) = try await options.call { (api, server) throws(APIClientError) in (try await api.reissueInvite(for: user), server) }
            options.show(invite) { AdminReport.invite($0, server: server) }
        }
    }
}
