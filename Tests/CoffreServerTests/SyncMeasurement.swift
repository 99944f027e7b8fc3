import CoffreProtocol
import CoffreServer
import Foundation
import Glibc
import Testing

/// A by-hand measurement of the sync engine's hot paths, off unless `COFFRE_SYNC_MEASURE` is
/// set; it prints figures and asserts only correctness. Run it in release mode:
///
///     COFFRE_SYNC_MEASURE=1 swift test -c release --filter SyncMeasurement
///
/// `COFFRE_SYNC_MEASURE_ENTRIES` sets the vault size (default 100,000; the design targets are
/// stated for 1,000,000); `COFFRE_SYNC_MEASURE_PRAGMAS` connection settings to compare. docs/sync-engine.md, "Performance", records the figures.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["COFFRE_SYNC_MEASURE"] != nil))
struct SyncMeasurement {
    typealias F = SyncFixture

    private static var entryCount: Int {
        ProcessInfo.processInfo.environment["COFFRE_SYNC_MEASURE_ENTRIES"].flatMap(Int.init) ?? 100_000
    }

    /// CPU seconds used by the process so far, all threads (getrusage(2)): on a shared machine
    /// this says more than the wall clock.
    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    private static func rate(_ count: Int, _ wall: Double, _ cpu: Double) -> String {
        "\(Int(Double(count) / wall)) entries/s wall (\(String(format: "%.2f", wall)) s), "
            + "\(Int(Double(count) / cpu)) entries per CPU second (\(String(format: "%.2f", cpu)) s)"
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test func commitFeedAndWakeUp() async throws {
        let fixture = try await F(readers: 1)
        // Connection settings to try, e.g. "cache_size=-65536;mmap_size=268435456"
        // (https://sqlite.org/pragma.html), applied to the writer and the one reader.
        for pragma in (ProcessInfo.processInfo.environment["COFFRE_SYNC_MEASURE_PRAGMAS"] ?? "").split(separator: ";") {
            let statement = "PRAGMA \(pragma)"
            _ = try await fixture.store.database.queue.write { db in try db.fetchAll(statement) { _ in 0 } }
            _ = try await fixture.store.database.queue.read { db in try db.fetchAll(statement) { _ in 0 } }
        }
        let vault = try await fixture.vault()
        let batch = 1_000
        let total = Self.entryCount / batch * batch
        let clock = ContinuousClock()

        // Blobs first, as the blob layer would record them: one per file.
        let blobs = (0..<total).map { F.blob("m\($0)") }
        for start in stride(from: 0, to: total, by: 10_000) {
            try await fixture.store(blobs: Array(blobs[start..<min(start + 10_000, total)]), in: vault)
        }
        // Files in folders of 1,000, one folder per batch, each file referencing one blob. Only
        // the commit calls are timed, not building the requests.
        var insertSeconds = 0.0
        var insertCPUSeconds = 0.0
        for start in stride(from: 0, to: total, by: batch) {
            let folder = F.randomEntryID()
            var changes = [F.folder(folder, named: "d\(start)")]
            for index in start..<(start + batch - 1) {
                changes.append(
                    F.file(F.randomEntryID(), in: folder, named: "f\(index)", blobs: [blobs[index]], marker: 3))
                changes[changes.count - 1].record = F.record(3, size: 285)
            }
            let (wall, cpu) = (clock.now, Self.cpuSeconds())
            try await fixture.commit(vault, changes)
            insertSeconds += Self.seconds(clock.now - wall)
            insertCPUSeconds += Self.cpuSeconds() - cpu
        }

        // Updates of existing entries (compare-and-swap on every one), 1,000 per commit.
        let updateBatches = 5
        var seq: Int64 = 0
        var updateSeconds = 0.0
        var updateCPUSeconds = 0.0
        let page = try await fixture.store.changes(vault, user: 1, since: 0, limit: 5_000)
        var updated = 0
        for chunk in 0..<updateBatches {
            let slice = page.entries.dropFirst(chunk * batch).prefix(batch)
            guard slice.count == batch else { break }
            let changes = slice.map { state in
                EntryChange(
                    entryId: state.entryId, baseRev: state.rev, parentId: state.parentId, kind: state.kind,
                    nameTag: state.nameTag, deleted: false, record: F.record(4, size: 285), blobs: [])
            }
            let (wall, cpu) = (clock.now, Self.cpuSeconds())
            seq = try await fixture.commit(vault, changes)
            updateSeconds += Self.seconds(clock.now - wall)
            updateCPUSeconds += Self.cpuSeconds() - cpu
            updated += changes.count
        }

        // The whole feed, in pages of 5,000.
        let feedStart = clock.now
        let feedCPU = Self.cpuSeconds()
        var cursor: Int64 = 0
        var read = 0
        var more = true
        while more {
            let next = try await fixture.store.changes(vault, user: 1, since: cursor, limit: 5_000)
            read += next.entries.count
            cursor = next.cursor
            more = next.hasMore
        }
        let feedSeconds = Self.seconds(clock.now - feedStart)
        let feedCPUSeconds = Self.cpuSeconds() - feedCPU
        #expect(read == total)
        #expect(updated == updateBatches * batch)

        // Long-poll wake-up: time from a commit's start to the waiting poll's answer.
        var wakes: [Double] = []
        for round in 0..<20 {
            let since = seq
            let poll = Task {
                try await fixture.store.changes(vault, user: 1, since: since, limit: 10, wait: .seconds(30))
            }
            while fixture.store.longPollWaiters == 0 { try await Task.sleep(for: .milliseconds(1)) }
            let start = clock.now
            seq = try await fixture.commit(vault, [F.file(F.randomEntryID(), named: "w\(round)")])
            let answer = try await poll.value
            wakes.append(Self.seconds(clock.now - start) * 1_000)
            #expect(answer.entries.count == 1)
        }
        wakes.sort()

        print(
            """
            sync measurement (\(total) entries, batches of \(batch)):
              insert: \(Self.rate(total, insertSeconds, insertCPUSeconds))
              update: \(Self.rate(updated, updateSeconds, updateCPUSeconds))
              feed:   \(Self.rate(read, feedSeconds, feedCPUSeconds))
              wake:   median \(String(format: "%.2f", wakes[wakes.count / 2])) ms, max \(String(format: "%.2f", wakes.last ?? 0)) ms (commit + wake-up + re-read)
            """)
    }
}
