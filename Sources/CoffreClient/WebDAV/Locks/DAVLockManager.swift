import CoffreCrypto
import Glibc
import Synchronization

/// The locks of one `DAVServer`, in memory and bounded: creation with the conflict rules of
/// RFC 4918 §6.1 and §7, refresh, release, expiry, discovery, and the check that a request
/// changing resources submitted the tokens of every lock covering them (§7.4).
public final class DAVLockManager: Sendable {
    /// Most locks held at once (expired ones are purged first).
    public let maximumLocks: Int
    /// Longest timeout granted, in seconds; `Infinite` requests get this.
    public let maximumTimeoutSeconds: Int
    /// Timeout when the client asked for none.
    public let defaultTimeoutSeconds: Int
    private let locks = Mutex<[String: DAVLock]>([:])
    private let clock: @Sendable () -> Double

    /// A manager; `clock` (seconds, monotonic) is injectable for tests.
    public init(
        maximumLocks: Int = 10_000, maximumTimeoutSeconds: Int = 7 * 86_400, defaultTimeoutSeconds: Int = 3_600,
        clock: @escaping @Sendable () -> Double = DAVLockManager.monotonicSeconds
    ) {
        self.maximumLocks = maximumLocks
        self.maximumTimeoutSeconds = maximumTimeoutSeconds
        self.defaultTimeoutSeconds = defaultTimeoutSeconds
        self.clock = clock
    }

    /// CLOCK_MONOTONIC in seconds.
    public static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// The manager's clock, in seconds.
    public func now() -> Double { clock() }

    /// The timeout to grant for a request of `requested` seconds (nil: none asked).
    func grantedTimeout(_ requested: Int?) -> Int {
        min(max(1, requested ?? defaultTimeoutSeconds), maximumTimeoutSeconds)
    }

    /// Creates a lock on `root`. Throws `.conflictingLock` when an exclusive lock is involved
    /// with any other lock covering the same resources (RFC 4918 §6.1, §9.10.6), and
    /// `.insufficientStorage` past `maximumLocks`.
    public func lock(
        _ root: DAVPath, rootIsCollection: Bool, scope: DAVLock.Scope, coversMembers: Bool, ownerXML: [UInt8]?,
        timeoutSeconds: Int?
    ) throws(DAVError) -> DAVLock {
        let now = clock()
        let timeout = grantedTimeout(timeoutSeconds)
        let token = "urn:uuid:" + (try Self.makeUUID())
        let lock = DAVLock(
            token: token, root: root, rootIsCollection: rootIsCollection, scope: scope, coversMembers: coversMembers,
            ownerXML: ownerXML, timeoutSeconds: timeout, expiresAt: now + Double(timeout))
        let limit = maximumLocks
        try locks.withLock { locks throws(DAVError) in
            Self.purge(&locks, now: now)
            for other in locks.values where other.covers(root) || (coversMembers && root.contains(other.root)) {
                if scope == .exclusive || other.scope == .exclusive { throw .conflictingLock(lockRoot: other.root) }
            }
            guard locks.count < limit else { throw .insufficientStorage("too many locks") }
            locks[token] = lock
        }
        return lock
    }

    /// RFC 4918 §9.10.2: refreshes the lock `token`, which must cover `path`; nil when there
    /// is no such lock.
    public func refresh(token: String, at path: DAVPath, timeoutSeconds: Int?) -> DAVLock? {
        let now = clock()
        let timeout = grantedTimeout(timeoutSeconds)
        return locks.withLock { locks in
            Self.purge(&locks, now: now)
            guard var lock = locks[token], lock.covers(path) else { return nil }
            lock.timeoutSeconds = timeout
            lock.expiresAt = now + Double(timeout)
            locks[token] = lock
            return lock
        }
    }

    /// RFC 4918 §9.11: removes the lock `token` if it covers `path`; false otherwise.
    public func unlock(token: String, at path: DAVPath) -> Bool {
        let now = clock()
        return locks.withLock { locks in
            Self.purge(&locks, now: now)
            guard let lock = locks[token], lock.covers(path) else { return false }
            locks[token] = nil
            return true
        }
    }

    /// The active locks covering `path` (for `lockdiscovery`), by token.
    public func locks(covering path: DAVPath) -> [DAVLock] {
        let now = clock()
        return locks.withLock { locks in
            locks.values.filter { $0.covers(path) && $0.expiresAt > now }.sorted { $0.token < $1.token }
        }
    }

    /// Every active lock, by token.
    public func activeLocks() -> [DAVLock] {
        let now = clock()
        return locks.withLock { locks in locks.values.filter { $0.expiresAt > now }.sorted { $0.token < $1.token } }
    }

    /// The tokens of active locks covering `path`.
    public func tokens(covering path: DAVPath) -> Set<String> {
        Set(locks(covering: path).map(\.token))
    }

    /// RFC 4918 §7.4: a request that changes `path` (and, when `withMembers`, everything below
    /// it) must submit the token of every lock covering what it changes; throws `.locked`
    /// naming the first lock whose token is missing.
    public func checkWritable(_ path: DAVPath, withMembers: Bool, submitted: Set<String>) throws(DAVError) {
        let now = clock()
        try locks.withLock { locks throws(DAVError) in
            for lock in locks.values where lock.expiresAt > now && !submitted.contains(lock.token) {
                if lock.covers(path) || (withMembers && path.contains(lock.root)) { throw .locked(lockRoot: lock.root) }
            }
        }
    }

    /// Drops every lock rooted at or below `path` (its resources were deleted or moved away,
    /// RFC 4918 §7.5, §9.9.1).
    public func removeLocks(under path: DAVPath) {
        locks.withLock { locks in locks = locks.filter { !path.contains($0.value.root) } }
    }

    /// Number of active locks.
    public var count: Int {
        let now = clock()
        return locks.withLock { locks in locks.values.count { $0.expiresAt > now } }
    }

    private static func purge(_ locks: inout [String: DAVLock], now: Double) {
        locks = locks.filter { $0.value.expiresAt > now }
    }

    /// A random (version 4) UUID in its text form (RFC 9562 §5.4).
    static func makeUUID() throws(DAVError) -> String {
        var bytes: [UInt8]
        do { bytes = try SecureRandom.bytes(count: 16) } catch { throw .storage("random source failed") }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
        return hex[0..<4].joined() + "-" + hex[4..<6].joined() + "-" + hex[6..<8].joined() + "-" + hex[8..<10].joined() + "-"
            + hex[10..<16].joined()
    }
}
