import CoffreProtocol
import Synchronization

/// Brute-force protection for everything that checks an authKey (login, password change,
/// account deletion), per account name and per source address, in memory only.
///
/// Each key (a user name as typed, or a source address) counts failures. After `freeFailures`
/// of them, every further failure blocks the key for `baseDelaySeconds · 2^(extra − 1)`
/// seconds, capped at `maximumDelaySeconds`; while blocked, attempts are refused with 429 and
/// `Retry-After` before any credential is checked. A success clears the account's count (not the
/// address's). Keys
/// idle for `forgetAfterSeconds` are dropped, and at most `maximumEntries` are kept.
///
/// The services call `check` once before any work, and `check` again, then `recordFailure` or
/// `recordSuccess`, inside their database write: writes run one at a time on the writer queue,
/// so a burst of concurrent guesses is checked guess by guess against the failures already
/// recorded and cannot slip through together. Names without an account are counted like any other, so throttling does not tell
/// which accounts exist. IPv6 sources are counted per /64, the block a single host usually has.
/// Addresses are never written anywhere and the admin view only counts them.
public final class LoginThrottle: Sendable {
    /// The thresholds.
    public struct Policy: Sendable, Equatable {
        /// Failures of one account name before delays start.
        public var freeFailures = 5
        /// Failures of one source address before delays start (several users may share one).
        public var freeAddressFailures = 20
        /// First delay.
        public var baseDelaySeconds: Int64 = 1
        /// Longest delay.
        public var maximumDelaySeconds: Int64 = 900
        /// Idle time after which a key's failures are forgotten.
        public var forgetAfterSeconds: Int64 = 86_400
        /// Most keys kept (accounts and addresses separately).
        public var maximumEntries = 100_000

        /// The default policy.
        public init() {}
    }

    private struct Entry {
        var failures: Int
        var lastFailureAt: Int64
    }

    private struct State: ~Copyable {
        var accounts: [String: Entry] = [:]
        var addresses: [[UInt8]: Entry] = [:]
    }

    /// The policy in force.
    public let policy: Policy
    private let clock: ServerClock
    private let state = Mutex(State())

    /// A throttle with `policy`, reading time from `clock`.
    public init(policy: Policy = Policy(), clock: ServerClock) {
        self.policy = policy
        self.clock = clock
    }

    /// Throws `throttled` with the seconds to wait while `account` or `address` (raw address
    /// bytes, 4 or 16; nil when unknown) is blocked; counts nothing.
    public func check(account: String, address: [UInt8]?) throws(APIError) {
        let now = clock.now()
        let addressKey = address.map(Self.addressKey)
        let wait = state.withLock { state -> Int64 in
            let accountWait = state.accounts[account].map { blockedUntil($0, free: policy.freeFailures) - now } ?? 0
            let addressWait =
                addressKey.flatMap { state.addresses[$0] }.map { blockedUntil($0, free: policy.freeAddressFailures) - now } ?? 0
            return max(accountWait, addressWait)
        }
        if wait > 0 { throw .throttled(retryAfterSeconds: Int(clamping: wait)) }
    }

    /// Counts a failed attempt for `account` and `address`.
    public func recordFailure(account: String, address: [UInt8]?) {
        let now = clock.now()
        state.withLock { state in
            Self.countFailure(in: &state.accounts, key: account, now: now, policy: policy)
            if let key = address.map(Self.addressKey) { Self.countFailure(in: &state.addresses, key: key, now: now, policy: policy) }
        }
    }

    /// Clears the failures of `account` after a successful attempt. The address keeps its
    /// count: one success must not unlock an address that is guessing at many accounts.
    public func recordSuccess(account: String) {
        state.withLock { _ = $0.accounts.removeValue(forKey: account) }
    }

    /// The admin view: accounts with failures and the number of addresses (not the addresses).
    public func status() -> ThrottleStatus {
        let now = clock.now()
        return state.withLock { state in
            let accounts = state.accounts.filter { now - $0.value.lastFailureAt < policy.forgetAfterSeconds }
                .map { name, entry in
                    ThrottledAccount(
                        userName: name, failures: entry.failures,
                        retryAfterSeconds: Int(clamping: max(0, blockedUntil(entry, free: policy.freeFailures) - now)))
                }
                .sorted { $0.userName < $1.userName }
            let addresses = state.addresses.values.filter { now - $0.lastFailureAt < policy.forgetAfterSeconds }
            let blocked = addresses.filter { blockedUntil($0, free: policy.freeAddressFailures) > now }.count
            return ThrottleStatus(accounts: accounts, addressCount: addresses.count, blockedAddressCount: blocked)
        }
    }

    /// Clears one account name's failures; returns whether it had any.
    @discardableResult
    public func clear(account: String) -> Bool {
        state.withLock { $0.accounts.removeValue(forKey: account) != nil }
    }

    /// Clears every account and address.
    public func clearAll() {
        state.withLock { state in
            state.accounts.removeAll()
            state.addresses.removeAll()
        }
    }

    /// When `entry` may try again: the time of its last failure plus the delay its count earns.
    private func blockedUntil(_ entry: Entry, free: Int) -> Int64 {
        let extra = entry.failures - free
        guard extra > 0 else { return 0 }
        let shift = min(extra - 1, 62)
        let (delay, overflow) = policy.baseDelaySeconds.multipliedReportingOverflow(by: Int64(1) << shift)
        return entry.lastFailureAt + (overflow ? policy.maximumDelaySeconds : min(delay, policy.maximumDelaySeconds))
    }

    private static func countFailure<Key: Hashable>(in table: inout [Key: Entry], key: Key, now: Int64, policy: Policy) {
        if var entry = table[key] {
            if now - entry.lastFailureAt >= policy.forgetAfterSeconds { entry.failures = 0 }
            entry.failures += 1
            entry.lastFailureAt = now
            table[key] = entry
            return
        }
        if table.count >= policy.maximumEntries {
            table = table.filter { now - $0.value.lastFailureAt < policy.forgetAfterSeconds }
            if table.count >= policy.maximumEntries, let oldest = table.min(by: { $0.value.lastFailureAt < $1.value.lastFailureAt }) {
                table[oldest.key] = nil
            }
        }
        table[key] = Entry(failures: 1, lastFailureAt: now)
    }

    /// IPv4 as is; IPv6 cut to its /64 prefix.
    private static func addressKey(_ bytes: [UInt8]) -> [UInt8] {
        bytes.count == 16 ? Array(bytes.prefix(8)) : bytes
    }
}
