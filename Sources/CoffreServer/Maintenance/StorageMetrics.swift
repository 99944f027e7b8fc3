import CoffreProtocol
import Synchronization

/// The storage figures `/metrics` shows, as of the last time they were read (each maintenance
/// pass and each admin `stats` call: the logical bytes need a scan, too costly per scrape),
/// plus counters of what maintenance did. Totals only: no label names a user or a vault.
final class StorageMetrics: Sendable {
    private struct State {
        var statistics: StorageStatistics?
        var readAt: Int64 = 0
        var collectedBlobs: Int64 = 0
        var collectedBytes: Int64 = 0
        var prunedRevisions: Int64 = 0
        var passes: Int64 = 0
        var failures: Int64 = 0
    }

    private let state = Mutex(State())

    /// Remembers figures read at `time` (Unix seconds).
    func record(_ statistics: StorageStatistics, at time: Int64) {
        state.withLock {
            $0.statistics = statistics
            $0.readAt = time
        }
    }

    /// Counts one maintenance pass and what it removed.
    func recordPass(prunedRevisions: Int, collectedBlobs: Int64, collectedBytes: Int64) {
        state.withLock {
            $0.passes += 1
            $0.prunedRevisions += Int64(prunedRevisions)
            $0.collectedBlobs += collectedBlobs
            $0.collectedBytes += collectedBytes
        }
    }

    /// Counts a maintenance pass that failed.
    func recordFailure() {
        state.withLock { $0.failures += 1 }
    }

    /// Prometheus text format 0.0.4; `waiters` is read live.
    func render(namespace: String, longPollWaiters waiters: Int) -> String {
        let snapshot = state.withLock { $0 }
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ value: String) {
            out += "# HELP \(namespace)_\(name) \(help)\n# TYPE \(namespace)_\(name) \(type)\n\(namespace)_\(name) \(value)\n"
        }
        metric("longpoll_waiters", "gauge", "Long-poll requests waiting for a commit.", "\(waiters)")
        if let stats = snapshot.statistics {
            let total = stats.total
            metric("vaults", "gauge", "Vaults.", "\(stats.vaults)")
            metric("entries_live", "gauge", "Entries whose current state is live.", "\(total.liveEntries)")
            metric("entries_deleted", "gauge", "Entries in the trash.", "\(total.deletedEntries)")
            metric("revisions", "gauge", "Revisions retained.", "\(total.revisions)")
            metric("blobs", "gauge", "Blobs stored.", "\(total.blobs)")
            metric("blob_physical_bytes", "gauge", "Bytes of the blobs stored, each once.", "\(total.physicalBytes)")
            metric("blob_logical_bytes", "gauge", "Bytes the live entries reference, each reference counted.", "\(total.logicalBytes)")
            metric("dedup_ratio", "gauge", "Logical bytes divided by physical bytes.", "\(total.dedupRatio ?? 1)")
            metric("storage_stats_timestamp_seconds", "gauge", "When the storage figures were read.", "\(snapshot.readAt)")
        }
        metric("maintenance_passes_total", "counter", "Background maintenance passes run.", "\(snapshot.passes)")
        metric("maintenance_failures_total", "counter", "Background maintenance passes that failed.", "\(snapshot.failures)")
        metric("pruned_revisions_total", "counter", "Revisions removed by retention.", "\(snapshot.prunedRevisions)")
        metric("gc_blobs_total", "counter", "Blobs deleted by garbage collection.", "\(snapshot.collectedBlobs)")
        metric("gc_bytes_total", "counter", "Bytes deleted by garbage collection.", "\(snapshot.collectedBytes)")
        return out
    }
}
