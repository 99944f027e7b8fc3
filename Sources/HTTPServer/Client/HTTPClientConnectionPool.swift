import Synchronization

/// Keep-alive connections per `HTTPClientPoolKey`, bounded per host (open connections) and in
/// total (idle connections kept).
///
/// A request leases either an idle connection or the right to open a new one; when every slot
/// of its host is taken it waits, first come first served. A connection comes back through
/// `release(_:reusable:)` only after its response was read to the end.
final class HTTPClientConnectionPool: Sendable {
    /// What `acquire` grants.
    enum Lease {
        /// An idle connection that passed the liveness check.
        case reused(HTTPClientConnection)
        /// A slot: the caller opens a connection, then `release`s it, or calls `connectFailed`.
        case newConnection
    }

    private struct Waiter {
        let id: UInt64
        let wantsFresh: Bool
        let continuation: UnsafeContinuation<Result<Lease, HTTPClientError>, Never>
    }

    private struct HostState {
        /// Idle connections, most recently used last.
        var idle: [HTTPClientConnection] = []
        /// Connections counted against the host limit: idle, leased, or being opened.
        var open = 0
        var waiters: [Waiter] = []
    }

    private struct State: ~Copyable {
        var hosts: [HTTPClientPoolKey: HostState] = [:]
        var idleCount = 0
        var isShutDown = false
    }

    /// What to do once the lock is released (close, resume) so no call runs under it.
    private struct Effects {
        var close: [HTTPClientConnection] = []
        var resume: [(UnsafeContinuation<Result<Lease, HTTPClientError>, Never>, Result<Lease, HTTPClientError>)] = []

        func run() {
            for connection in close { connection.close(graceful: true) }
            for (continuation, result) in resume { continuation.resume(returning: result) }
        }
    }

    private let state = Mutex(State())
    private let nextWaiterID = Atomic<UInt64>(0)
    private let maxConnectionsPerHost: Int
    private let maxIdleConnections: Int
    private let idleTimeout: UInt64

    init(maxConnectionsPerHost: Int, maxIdleConnections: Int, idleTimeout: Duration) {
        self.maxConnectionsPerHost = max(1, maxConnectionsPerHost)
        self.maxIdleConnections = max(0, maxIdleConnections)
        self.idleTimeout = SystemCall.nanoseconds(idleTimeout)
    }

    /// An idle connection (unless `fresh`) or a slot to open one; waits while the host is at
    /// its limit. Throws `.cancelled` or `.shutDown`.
    func acquire(_ key: HTTPClientPoolKey, fresh: Bool) async throws(HTTPClientError) -> Lease {
        while true {
            let candidate = try await nextLease(key, fresh: fresh)
            guard case .reused(let connection) = candidate else { return candidate }
            let age = SystemCall.monotonicNanoseconds() &- connection.idleSince
            if age < idleTimeout && connection.isUsableWhileIdle() { return candidate }
            // Stale: the server closed it or sent something while it sat idle. Drop it and
            // take the next one (or a slot).
            release(connection, reusable: false)
        }
    }

    private func nextLease(_ key: HTTPClientPoolKey, fresh: Bool) async throws(HTTPClientError) -> Lease {
        let id = nextWaiterID.add(1, ordering: .relaxed).newValue
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Lease, HTTPClientError>, Never>) in
                var effects = Effects()
                let immediate = state.withLock { state -> Result<Lease, HTTPClientError>? in
                    if state.isShutDown { return .failure(.shutDown) }
                    // The cancellation handler may have run before this waiter existed.
                    if Task.isCancelled { return .failure(.cancelled) }
                    var host = state.hosts[key] ?? HostState()
                    defer { store(host, for: key, in: &state) }
                    if !fresh, let connection = host.idle.popLast() {
                        state.idleCount -= 1
                        return .success(.reused(connection))
                    }
                    if host.open < maxConnectionsPerHost {
                        host.open += 1
                        return .success(.newConnection)
                    }
                    if fresh, !host.idle.isEmpty {
                        // Make room for the fresh connection by dropping the oldest idle one.
                        effects.close.append(host.idle.removeFirst())
                        state.idleCount -= 1
                        return .success(.newConnection)
                    }
                    host.waiters.append(Waiter(id: id, wantsFresh: fresh, continuation: continuation))
                    return nil
                }
                effects.run()
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            cancelWaiter(id, of: key)
        }
        return try result.get()
    }

    /// Resumes the waiter `id` of `key` with `.cancelled`, if it is still waiting.
    private func cancelWaiter(_ id: UInt64, of key: HTTPClientPoolKey) {
        let continuation = state.withLock { state -> UnsafeContinuation<Result<Lease, HTTPClientError>, Never>? in
            guard var host = state.hosts[key], let index = host.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            let waiter = host.waiters.remove(at: index)
            store(host, for: key, in: &state)
            return waiter.continuation
        }
        continuation?.resume(returning: .failure(.cancelled))
    }

    /// Takes a connection back after its response: idle if `reusable` and there is room,
    /// otherwise closed. Hands a slot or the connection to the first waiter of its host.
    func release(_ connection: HTTPClientConnection, reusable: Bool) {
        var effects = Effects()
        state.withLock { state in
            let key = connection.key
            var host = state.hosts[key] ?? HostState()
            defer { store(host, for: key, in: &state) }
            guard reusable, !state.isShutDown, !connection.isClosed else {
                effects.close.append(connection)
                host.open -= 1
                grantSlot(&host, &effects)
                return
            }
            connection.idleSince = SystemCall.monotonicNanoseconds()
            if !host.waiters.isEmpty {
                let waiter = host.waiters.removeFirst()
                if waiter.wantsFresh {
                    effects.close.append(connection)
                    effects.resume.append((waiter.continuation, .success(.newConnection)))
                } else {
                    effects.resume.append((waiter.continuation, .success(.reused(connection))))
                }
                return
            }
            guard maxIdleConnections > 0 else {
                effects.close.append(connection)
                host.open -= 1
                return
            }
            host.idle.append(connection)
            state.idleCount += 1
            if state.idleCount > maxIdleConnections {
                store(host, for: key, in: &state)
                evictOldestIdle(&state, &effects)
                host = state.hosts[key] ?? HostState()
            }
        }
        effects.run()
    }

    /// A `.newConnection` lease that produced no connection gives its slot back.
    func connectFailed(_ key: HTTPClientPoolKey) {
        var effects = Effects()
        state.withLock { state in
            var host = state.hosts[key] ?? HostState()
            host.open -= 1
            grantSlot(&host, &effects)
            store(host, for: key, in: &state)
        }
        effects.run()
    }

    /// Closes the idle connections and fails every waiter; connections in use are closed
    /// when released.
    func shutdown() {
        var effects = Effects()
        state.withLock { state in
            state.isShutDown = true
            for (key, var host) in state.hosts {
                effects.close.append(contentsOf: host.idle)
                host.open -= host.idle.count
                host.idle = []
                for waiter in host.waiters { effects.resume.append((waiter.continuation, .failure(.shutDown))) }
                host.waiters = []
                store(host, for: key, in: &state)
            }
            state.idleCount = 0
        }
        effects.run()
    }

    /// Whether every idle connection of `key` still passes the liveness check (for tests).
    func idleConnectionsLookUsable(for key: HTTPClientPoolKey) -> Bool {
        state.withLock { state in (state.hosts[key]?.idle ?? []).allSatisfy { $0.isUsableWhileIdle() } }
    }

    /// A freed slot goes to the first waiter, if any.
    private func grantSlot(_ host: inout HostState, _ effects: inout Effects) {
        guard !host.waiters.isEmpty, host.open < maxConnectionsPerHost else { return }
        let waiter = host.waiters.removeFirst()
        host.open += 1
        effects.resume.append((waiter.continuation, .success(.newConnection)))
    }

    /// Closes the idle connection that has waited longest, across hosts.
    private func evictOldestIdle(_ state: inout State, _ effects: inout Effects) {
        var oldest: (key: HTTPClientPoolKey, since: UInt64)?
        for (key, host) in state.hosts {
            if let first = host.idle.first, first.idleSince < oldest?.since ?? .max { oldest = (key, first.idleSince) }
        }
        guard let key = oldest?.key, var host = state.hosts[key] else { return }
        effects.close.append(host.idle.removeFirst())
        host.open -= 1
        state.idleCount -= 1
        store(host, for: key, in: &state)
    }

    /// Saves a host's state, forgetting hosts with nothing open and nobody waiting.
    private func store(_ host: HostState, for key: HTTPClientPoolKey, in state: inout State) {
        state.hosts[key] = host.open == 0 && host.waiters.isEmpty ? nil : host
    }
}
