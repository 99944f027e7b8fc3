import CoffreProtocol
import SQLiteStore

extension Accounts {
    /// The admin `stats`: the accounts section, then each contributor's, all from one snapshot.
    public func stats() async throws(APIError) -> ServerStats {
        let contributors = statsContributors
        let now = clock.now()
        return try await store.read("read stats") { db in
            func count(_ sql: String, _ arguments: StatementArguments = []) throws -> Int {
                try db.fetchValue(sql, arguments, as: Int.self) ?? 0
            }
            let accounts = AccountStats(
                users: try count("SELECT count(*) FROM users"),
                registeredUsers: try count("SELECT count(*) FROM user_credentials"),
                disabledUsers: try count("SELECT count(*) FROM users WHERE is_disabled = 1"),
                adminUsers: try count("SELECT count(*) FROM users WHERE is_admin = 1"),
                pendingInvites: try count("SELECT count(*) FROM invites WHERE expires_at > ?", [now]),
                devices: try count("SELECT count(*) FROM devices"),
                adminTokens: try count("SELECT count(*) FROM admin_tokens"),
                usedBytes: try db.fetchValue("SELECT coalesce(sum(used_bytes), 0) FROM users", [], as: Int64.self) ?? 0)
            var stats = ServerStats(accounts: accounts)
            for contributor in contributors { try contributor.contribute(to: &stats, in: db) }
            return stats
        }
    }
}
