import CoffreProtocol
import SQLiteStore

/// The `sync` section of the admin `stats` (`GET /v1/admin/stats`): storage figures in total and
/// for the largest vaults. Reading them also refreshes the figures `/metrics` shows.
struct StorageStatsContributor: ServerStatsContributor {
    let store: SyncStore
    let metrics: StorageMetrics
    let clock: ServerClock

    func contribute(to stats: inout ServerStats, in db: Connection) throws {
        let storage = try StorageStatisticsReader.read(db, longPollWaiters: store.longPollWaiters)
        metrics.record(storage, at: clock.now())
        stats.sync = storage
    }
}
