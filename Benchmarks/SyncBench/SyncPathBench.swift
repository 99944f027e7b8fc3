import CoffreClient
import CoffreProtocol
import Foundation
import Glibc
import HTTPServer
import HTTPTypes
import Synchronization

/// The sync engine over HTTP, alone: commit throughput in commits of 1,000 entries, reading the
/// whole feed, long-poll wake-up latency, and the server's memory with many idle long-polls.
struct SyncPathBench {
    let coffred: CoffredUnderTest
    let http: HTTPClient
    let client: SyncAPIClient
    let vault: VaultID

    /// Entries per second of commit time, overall and for the first 100,000.
    struct CommitFigures {
        let entries: Int
        let perSecond: Double
        let firstHundredThousandPerSecond: Double
        let serverCPUSeconds: Double
    }

    /// Commits `entries` new entries, 1,000 per commit in `wire`, each file referencing one of
    /// 1,000 blobs uploaded first in one batch. Only the HTTP exchanges are timed.
    func commits(entries: Int, wire: BenchEnvironment.Wire) async throws -> CommitFigures {
        let blobs = try TransferBench.blobs(count: 1_000, size: 64, seed: 7)
        let batch = try await client.uploadBatch(vault, blobs.map { (id: $0.id, bytes: $0.bytes) })
        guard batch.results.allSatisfy({ $0.outcome == .stored }) else { throw BenchFailure("seeding blobs failed") }
        var bodies = CommitBodies(seed: 11)
        let ids = blobs.map(\.id)
        var timed = 0.0
        var firstHundredThousand = 0.0
        let cpuBefore = coffred.cpuSeconds
        for commit in 0..<(entries / CommitBodies.entriesPerCommit) {
            let body = CommitBodies.body(bodies.next(blobs: ids, offset: commit), wire: wire)
            var fields = HTTPFields()
            fields[.authorization] = "Bearer " + client.token
            fields[.contentType] = body.contentType
            var request = try HTTPClientRequest(
                method: .post, url: coffred.url + SyncPath.commits(vault), headerFields: fields, body: .bytes(body.bytes))
            request.readIdleTimeout = .seconds(120)
            let start = ContinuousClock.now
            let response = try await http.execute(request)
            let answer = try await response.body.collect(upTo: 1 << 20)
            timed += seconds(since: start)
            guard response.status.code == 200 else {
                throw BenchFailure("commit \(commit): \(response.status.code) \(String(decoding: answer.prefix(300), as: UTF8.self))")
            }
            if (commit + 1) * CommitBodies.entriesPerCommit == 100_000 { firstHundredThousand = timed }
            if (commit + 1) % 100 == 0 {
                print("  … \((commit + 1) * CommitBodies.entriesPerCommit) entries, \(Int(Double((commit + 1) * 1_000) / timed))/s")
            }
        }
        return CommitFigures(
            entries: entries, perSecond: Double(entries) / timed,
            firstHundredThousandPerSecond: firstHundredThousand > 0 ? 100_000 / firstHundredThousand : Double(entries) / timed,
            serverCPUSeconds: coffred.cpuSeconds - cpuBefore)
    }

    /// Seconds to read the whole feed from cursor 0, pages of 5,000 in `wire`, decoded into
    /// `ChangesPage`s (binary: by the typed client); the CPU seconds coffred and this process
    /// (the client's HTTP and decoding) used.
    func feed(wire: BenchEnvironment.Wire) async throws -> (seconds: Double, entries: Int, serverCPUSeconds: Double, clientCPUSeconds: Double) {
        let cpuBefore = coffred.cpuSeconds
        let clientBefore = BenchEnvironment.cpuSeconds(of: getpid())
        let start = ContinuousClock.now
        var cursor: Int64 = 0
        var count = 0
        var more = true
        while more {
            let page = wire == .binary ? try await client.changes(vault, since: cursor, limit: 5_000) : try await jsonPage(since: cursor)
            count += page.entries.count
            cursor = page.cursor
            more = page.hasMore
        }
        return (
            seconds(since: start), count, coffred.cpuSeconds - cpuBefore, BenchEnvironment.cpuSeconds(of: getpid()) - clientBefore
        )
    }

    /// One feed page asked and decoded as JSON (`Accept: application/json`).
    private func jsonPage(since cursor: Int64) async throws -> ChangesPage {
        var fields = HTTPFields()
        fields[.authorization] = "Bearer " + client.token
        fields[.accept] = "application/json"
        let request = try HTTPClientRequest(
            method: .get, url: coffred.url + SyncPath.changes(vault, since: cursor, limit: 5_000, waitSeconds: nil), headerFields: fields)
        let response = try await http.execute(request)
        let body = try await response.body.collect(upTo: SyncAPIClient.maximumJSONBytes)
        guard response.status.code == 200 else { throw BenchFailure("feed page: \(response.status.code)") }
        return try JSONDecoder().decode(ChangesPage.self, from: Data(body))
    }

    /// Milliseconds from sending a commit to each waiting long-poll's answer, `pollers` at a
    /// time, over `rounds` commits: (p50, p99, max).
    func wakeUps(pollers: Int, rounds: Int) async throws -> (p50: Double, p99: Double, max: Double) {
        let (pollHTTP, pollClient) = try pollingClient(pollers)
        defer { pollHTTP.shutdown() }
        var latencies: [Double] = []
        for _ in 0..<rounds { latencies += try await round(pollers: pollers, pollClient: pollClient) }
        return Self.percentiles(latencies)
    }

    /// Holds `count` long-polls open on a fresh server and returns its resident memory before and
    /// while they wait, then wakes them all with one commit (p99 of those wake-ups).
    static func idlePolls(count: Int, binary: String) async throws -> (before: Int, waiting: Int, wakeP99: Double) {
        let coffred = try CoffredUnderTest(binary: binary)
        defer { coffred.stop() }
        let http = try HTTPClient()
        defer { http.shutdown() }
        let (client, vault) = try await coffred.userWithVault("idle", http: http)
        let bench = SyncPathBench(coffred: coffred, http: http, client: client, vault: vault)
        // Warm the server's paths first, so the figure is the cost of waiting, not of first use.
        _ = try await bench.wakeUps(pollers: 8, rounds: 2)
        let before = coffred.residentBytes
        let (pollHTTP, pollClient) = try bench.pollingClient(count)
        defer { pollHTTP.shutdown() }
        let waiting = Shared(0)
        let latencies = try await bench.round(pollers: count, pollClient: pollClient) {
            waiting.update { $0 = coffred.residentBytes }
        }
        return (before, waiting.current, percentiles(latencies).p99)
    }

    /// A client with a connection for each of `pollers` long-polls.
    private func pollingClient(_ pollers: Int) throws -> (HTTPClient, SyncAPIClient) {
        var configuration = HTTPClientConfiguration()
        configuration.maxConnectionsPerHost = pollers + 8
        configuration.maxIdleConnections = pollers + 8
        let pollHTTP = try HTTPClient(configuration: configuration)
        return (pollHTTP, SyncAPIClient(http: pollHTTP, server: client.server, token: client.token))
    }

    /// One round: `pollers` long-polls wait for the next commit, `onceWaiting` runs when all
    /// wait, then a commit lands; the milliseconds from sending it to each poll's answer.
    private func round(
        pollers: Int, pollClient: SyncAPIClient, onceWaiting: @escaping @Sendable () -> Void = {}
    ) async throws -> [Double] {
        let vault = self.vault
        // The vault's seq now (a feed page's cursor would be the end of its first commit only).
        guard let seq = try await client.vaults().vaults.first(where: { $0.vaultId == vault })?.seq else {
            throw BenchFailure("the bench vault is not listed")
        }
        let started = Shared<ContinuousClock.Instant?>(nil)
        return try await withThrowingTaskGroup(of: Double.self) { group in
            for _ in 0..<pollers {
                group.addTask {
                    let page = try await pollClient.changes(vault, since: seq, limit: 10, waitSeconds: 300)
                    let end = ContinuousClock.now
                    guard !page.entries.isEmpty, let start = started.current else {
                        throw BenchFailure("a long poll came back without the commit")
                    }
                    let elapsed = end - start
                    return Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
                }
            }
            try await waitForWaiters(pollers)
            onceWaiting()
            started.update { $0 = ContinuousClock.now }
            try await commitOne()
            return try await group.reduce(into: [Double]()) { $0.append($1) }
        }
    }

    static func percentiles(_ samples: [Double]) -> (p50: Double, p99: Double, max: Double) {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return (0, 0, 0) }
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)], sorted[sorted.count - 1])
    }

    /// Polls `/metrics` until `count` long-polls wait on the server.
    private func waitForWaiters(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let response = try await http.execute(try HTTPClientRequest(method: .get, url: coffred.url + "/metrics"))
            let text = String(decoding: try await response.body.collect(upTo: 1 << 20), as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("coffred_longpoll_waiters ") }),
                let value = Int(line.split(separator: " ").last ?? "")
            {
                if value >= count { return }
                if ProcessInfo.processInfo.environment["SYNC_BENCH_DEBUG"] != nil { print("waiters \(value)/\(count)") }
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw BenchFailure("the long polls did not all register")
    }

    /// Commits one new file.
    private func commitOne() async throws {
        let change = EntryChange(
            entryId: EntryID(high: .random(in: 1...UInt64.max), low: .random(in: 0...UInt64.max)), baseRev: 0, parentId: .root,
            kind: .file, nameTag: NameTag(bytes: (0..<32).map { _ in UInt8.random(in: 0...255) })!, record: Base64Bytes([1, 2, 3]))
        guard case .committed = try await client.commit(vault, CommitRequest(changes: [change])) else {
            throw BenchFailure("a wake-up commit conflicted")
        }
    }
}

