import ArgumentParser
import CoffreClient
import CoffreProtocol
import Foundation

/// `coffre-admin audit [--user NAME] [--since DATE] [--limit N]`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Show the audit log, newest first.")
    @OptionGroup var options: AdminOptions
    @Option(name: .long, help: "Only entries about this user.")
    var user: String?
    @Option(name: .long, help: "Only entries at or after: 2026-01-31, 2026-01-31T14:05:09 (UTC), 7d, 12h, 30m, or Unix seconds.")
    var since: String?
    @Option(name: .long, help: "Most entries to show (1-10000).")
    var limit = 50

    /// Entries per request (the server's maximum page).
    static let pageSize = 1000

    func run() async throws {
        guard (1...10_000).contains(limit) else { throw AccountError.invalidArgument("--limit: give a number from 1 to 10000") }
        let name = try user.map { text throws(AccountError) in try userName(text) }
        let now = Int64(Date().timeIntervalSince1970)
        let start = try since.map { text throws(AccountError) in try DateArgument.parse(text, option: "--since", now: now) }
        let limit = self.limit
        // Pages are followed with `before` (docs/protocol.md, "Audit pages") until `limit`.
        let page = try await options.call { (api, _) throws(APIClientError) in
            var entries: [AuditEntry] = []
            var before: Int64?
            repeat {
                let page = try await api.auditLog(user: name, since: start, before: before, limit: min(Self.pageSize, limit - entries.count))
                entries += page.entries
                before = page.nextBefore
            } while before != nil && entries.count < limit
            return AuditPage(entries: entries, nextBefore: before)
        }
        options.show(page) { AdminReport.audit($0.entries) }
    }
}

/// `coffre-admin stats`.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Show users, invites, devices, tokens and storage.")
    @OptionGroup var options: AdminOptions

    func run() async throws {
        let stats = try await options.call { (api, _) throws(APIClientError) in try await api.stats() }
        options.show(stats) { AdminReport.stats($0) + ($0.sync.map { "\n" + AdminReport.storage($0) } ?? "") }
    }
}

/// `coffre-admin token create NAME | list | revoke ID`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke admin API tokens.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an admin token; it is printed once.")
        @OptionGroup var options: AdminOptions
        @Argument(help: "A label, e.g. \"backup script\".")
        var name: String

        func run() async throws {
            let name = self.name
            let created = try await options.call { (api, _) throws(APIClientError) in try await api.createAdminToken(name: name) }
            options.show(created, AdminReport.createdToken)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List admin tokens (never their secrets).")
        @OptionGroup var options: AdminOptions

        func run() async throws {
            let tokens = try await options.call { (api, _) throws(APIClientError) in try await api.adminTokens() }
            options.show(tokens, AdminReport.tokens)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an admin token (a token may revoke itself).")
        @OptionGroup var options: AdminOptions
        @Argument var id: Int64

        func run() async throws {
            try await options.call { (api, _) throws(APIClientError) in try await api.revokeAdminToken(id) }
            CommandOutput.print("Admin token \(id) is revoked.\n")
        }
    }
}

/// `coffre-admin throttle list | clear [NAME]`.
struct ThrottleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throttle", abstract: "Show or clear failed-login throttling.", subcommands: [List.self, Clear.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Names with failed logins, and how many addresses.")
        @OptionGroup var options: AdminOptions

        func run() async throws {
            let status = try await options.call { (api, _) throws(APIClientError) in try await api.throttleStatus() }
            options.show(status, AdminReport.throttle)
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Clear one name (a locked-out user), or every name and address.")
        @OptionGroup var options: AdminOptions
        @Argument(help: "The user name to clear; without it, everything is cleared.")
        var name: String?

        func run() async throws {
            let user = try name.map { text throws(AccountError) in try userName(text) }
            try await options.call { (api, _) throws(APIClientError) in try await api.clearThrottle(user?.rawValue) }
            CommandOutput.print(user.map { "Cleared the failed logins of \($0).\n" } ?? "Cleared every failed-login count.\n")
        }
    }
}
