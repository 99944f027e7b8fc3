import CoffreProtocol
import SQLiteStore
import Synchronization

/// Turns a bearer token into a `Principal`, keeping recently used tokens in memory so that a
/// request (a blob GET, say) normally costs one SHA-256 and a dictionary lookup, not a query.
///
/// The cache is keyed by the token's SHA-256, like the database; it never holds token text.
/// Revocation is synchronous: the services that revoke a device, an admin token, or disable or
/// delete a user call `invalidate…` right after their transaction commits and before they
/// return. A lookup that read the database before that commit cannot put its stale answer back
/// into the cache afterwards: each invalidation bumps a generation number, and a lookup only
/// stores its result when the generation is the one it started with.
///
/// "Last seen" is coarse: stored rounded down to the minute, and written at most once a minute
/// per device or admin token.
public final class TokenAuthenticator: Sendable {
    /// Seconds between two "last seen" writes of one device.
    static let lastSeenResolution: Int64 = 60

    private struct CachedToken {
        let principal: Principal
        var lastSeenWritten: Int64
    }

    private struct Cache: ~Copyable {
        var entries: [TokenDigest: CachedToken] = [:]
        var generation: UInt64 = 0
    }

    private let cache = Mutex(Cache())
    private let store: AccountStore
    private let clock: ServerClock
    private let capacity: Int

    init(store: AccountStore, clock: ServerClock, capacity: Int = 10_000) {
        self.store = store
        self.clock = clock
        self.capacity = max(1, capacity)
    }

    /// Authenticates an `Authorization` header value: `Bearer <token>` (RFC 6750 §2.1; the scheme
    /// name is case-insensitive, RFC 9110 §11.1). Missing, malformed, unknown, revoked tokens and
    /// tokens of disabled users all give `unauthenticated`.
    public func authenticate(authorization: String?) async throws(APIError) -> Principal {
        guard let authorization, let token = Self.bearerToken(in: authorization) else { throw .unauthenticated }
        return try await authenticate(token: token)
    }

    /// The token of `Bearer <token>` (RFC 6750 §2.1: `"Bearer" 1*SP b64token`; the scheme name in
    /// any case, RFC 9110 §11.1), spaces allowed around the two words, nothing else. Read as bytes, since it runs on every request: splitting the
    /// `String` into `Character`s and lowercasing it cost more than the token's SHA-256.
    static func bearerToken(in authorization: String) -> String? {
        var text = authorization
        return text.withUTF8 { bytes in
            bearerToken(in: UnsafeRawBufferPointer(bytes)).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// `bearerToken(in:)` over the field value's bytes: the token's bytes within them.
    static func bearerToken(in authorization: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard authorization.count <= 256 else { return nil }
        let space = UInt8(ascii: " ")
        var index = 0
        while index < authorization.count, authorization[index] == space { index += 1 }
        for letter in "bearer".utf8 {
            // ASCII letters differ from their capitals only by 0x20.
            guard index < authorization.count, authorization[index] | 0x20 == letter else { return nil }
            index += 1
        }
        guard index < authorization.count, authorization[index] == space else { return nil }
        while index < authorization.count, authorization[index] == space { index += 1 }
        let start = index
        while index < authorization.count, authorization[index] != space { index += 1 }
        let end = index
        while index < authorization.count, authorization[index] == space { index += 1 }
        guard start != end, index == authorization.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: authorization[start..<end])
    }

    /// Authenticates a token's text (`cft_…` or `cfa_…`).
    public func authenticate(token: String) async throws(APIError) -> Principal {
        let isAdminToken = SecretToken.hasShape(token, of: .admin)
        guard isAdminToken || SecretToken.hasShape(token, of: .device) else { throw .unauthenticated }
        let digest: TokenDigest
        do { digest = try TokenDigest(hashing: token) } catch { throw store.mapped(error, "hash token") }
        let hash = digest.bytes
        let now = clock.now()
        let minute = now - now % Self.lastSeenResolution

        let cached = cache.withLock { cache -> (Principal, writeLastSeen: Bool)? in
            guard var entry = cache.entries[digest] else { return nil }
            let due = minute - entry.lastSeenWritten >= Self.lastSeenResolution
            if due {
                entry.lastSeenWritten = minute
                cache.entries[digest] = entry
            }
            return (entry.principal, due)
        }
        if let (principal, due) = cached {
            if due { await writeLastSeen(of: principal, minute: minute) }
            return principal
        }

        let generation = cache.withLock { $0.generation }
        let found = try await store.read("authenticate") { db in
            try Self.lookup(hash: hash, isAdminToken: isAdminToken, in: db)
        }
        guard let (principal, lastSeen) = found else { throw .unauthenticated }
        let due = minute - lastSeen >= Self.lastSeenResolution
        cache.withLock { cache in
            guard cache.generation == generation else { return }
            if cache.entries.count >= capacity, cache.entries[digest] == nil {
                cache.entries.remove(at: cache.entries.startIndex)
            }
            cache.entries[digest] = CachedToken(principal: principal, lastSeenWritten: due ? minute : lastSeen)
        }
        if due { await writeLastSeen(of: principal, minute: minute) }
        return principal
    }

    /// The principal of a token that is in the cache and whose "last seen" write is not due,
    /// without waiting; nil otherwise, and the caller then takes `authenticate(token:)`. The
    /// token is found by its SHA-256, as in the database: comparing digests in variable time
    /// tells nothing about a token (preimage resistance), so no byte of a token is ever
    /// compared with another.
    func cachedPrincipal(token: String) -> Principal? {
        var text = token
        return text.withUTF8 { cachedPrincipal(token: UnsafeRawBufferPointer($0)) }
    }

    /// `cachedPrincipal(token:)` for the token's UTF-8 bytes (the fast lane's, from the read
    /// buffer): a SHA-256 on the stack and a dictionary lookup, no heap allocation.
    func cachedPrincipal(token: UnsafeRawBufferPointer) -> Principal? {
        guard SecretToken.hasShape(token, of: .device) || SecretToken.hasShape(token, of: .admin),
            let digest = try? TokenDigest(hashing: token)
        else { return nil }
        let now = clock.now()
        let minute = now - now % Self.lastSeenResolution
        return cache.withLock { cache in
            guard let entry = cache.entries[digest], minute - entry.lastSeenWritten < Self.lastSeenResolution else { return nil }
            return entry.principal
        }
    }

    /// Forgets every cached token for which `shouldDrop` is true, and makes lookups in flight
    /// discard what they read.
    func invalidate(where shouldDrop: (Principal) -> Bool) {
        cache.withLock { cache in
            cache.generation &+= 1
            cache.entries = cache.entries.filter { !shouldDrop($0.value.principal) }
        }
    }

    /// Forgets the tokens of these devices.
    func invalidate(devices: Set<Int64>) {
        invalidate { principal in
            if case .device(let session) = principal { return devices.contains(session.deviceID) }
            return false
        }
    }

    /// Forgets every token of a user (disabled, deleted).
    func invalidate(user userID: Int64) {
        invalidate { principal in
            if case .device(let session) = principal { return session.userID == userID }
            return false
        }
    }

    /// Forgets an admin token.
    func invalidate(adminToken tokenID: Int64) {
        invalidate { principal in
            if case .adminToken(let session) = principal { return session.tokenID == tokenID }
            return false
        }
    }

    /// The principal and its stored "last seen" for a token hash; devices of disabled users
    /// are not found.
    private static func lookup(hash: [UInt8], isAdminToken: Bool, in db: Connection) throws -> (Principal, Int64)? {
        if isAdminToken {
            return try db.fetchOne("SELECT id, last_seen_at FROM admin_tokens WHERE token_hash = ?", [hash]) { row in
                (.adminToken(AdminTokenSession(tokenID: try row.int64(at: 0))), try row.int64(at: 1))
            }
        }
        return try db.fetchOne(
                """
            SELECT d.id, d.user_id, u.name, u.is_admin, d.scopes, d.last_seen_at
            FROM devices d JOIN users u ON u.id = d.user_id
            WHERE d.token_hash = ? AND u.is_disabled = 0
            """, [hash]
        ) { row in
            let session = DeviceSession(
                userID: try row.int64(at: 1), userName: try row.string(at: 2), userIsAdmin: try Bool.read(from: row, at: 3),
                deviceID: try row.int64(at: 0), scopes: ScopeBits.decode(try row.int64(at: 4)))
            return (.device(session), try row.int64(at: 5))
        }
    }

    /// Best effort: a failed "last seen" write is logged (by `AccountStore`) and does not fail
    /// the request.
    private func writeLastSeen(of principal: Principal, minute: Int64) async {
        let (table, id): (String, Int64) =
            switch principal {
            case .device(let session): ("devices", session.deviceID)
            case .adminToken(let session): ("admin_tokens", session.tokenID)
            }
        _ = try? await store.write("record last seen") { db in
            try db.execute("UPDATE \(table) SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?", [minute, id, minute])
        }
    }
}
