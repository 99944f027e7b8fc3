/// `GET /v1/admin/throttle`: failed-login throttling as it stands. Kept in memory only; source
/// addresses are counted, never listed.
public struct ThrottleStatus: Codable, Sendable, Equatable {
    /// Account names with recent failures (names that have no account appear too: the throttle
    /// treats every name alike so it does not reveal which exist).
    public var accounts: [ThrottledAccount]
    /// Source addresses with recent failures.
    public var addressCount: Int
    /// Of those, how many are blocked right now.
    public var blockedAddressCount: Int

    /// A value with the given fields.
    public init(accounts: [ThrottledAccount], addressCount: Int, blockedAddressCount: Int) {
        self.accounts = accounts
        self.addressCount = addressCount
        self.blockedAddressCount = blockedAddressCount
    }
}

/// Throttling state of one account name.
public struct ThrottledAccount: Codable, Sendable, Equatable {
    /// The name tried.
    public var userName: String
    /// Failed attempts since the last success or clear.
    public var failures: Int
    /// Seconds until the next attempt is allowed; 0 when not blocked now.
    public var retryAfterSeconds: Int

    /// A value with the given fields.
    public init(userName: String, failures: Int, retryAfterSeconds: Int) {
        self.userName = userName
        self.failures = failures
        self.retryAfterSeconds = retryAfterSeconds
    }
}
