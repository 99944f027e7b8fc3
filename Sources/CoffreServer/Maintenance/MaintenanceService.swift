import CoffreProtocol
import Logging
import Synchronization

/// Background and on-demand maintenance of the sync store (docs/admin.md): retention pruning
/// and garbage collection on a timer, and the admin calls GC, fsck and backup — one at a time
/// (`MaintenanceGate`).
///
/// The timer runs as one task that sleeps between passes (no thread is kept). A pass prunes
/// history (`SyncStore.pruneHistory`), collects garbage, then reads the storage figures for
/// `/metrics`. A failed pass is logged and counted; the next one runs on time.
public final class MaintenanceService: Sendable {
    let blobs: BlobLayer
    let metrics = StorageMetrics()
    let gate = MaintenanceGate()
    let collector: GarbageCollector
    let checker: StoreChecker
    let backupWriter: BackupWriter
    private let settings: MaintenanceSettings
    private let clock: ServerClock
    private let logger: Logger
    private let timer = Mutex<Task<Void, Never>?>(nil)

    /// Maintenance over `blobs` (and its `SyncStore`), writing backups of `database` whose
    /// data directory is `dataDirectory`.
    public init(
        blobs: BlobLayer, database: ServerDatabase, dataDirectory: String, settings: MaintenanceSettings,
        clock: ServerClock = .system, logger: Logger
    ) {
        self.blobs = blobs
        self.settings = settings
        self.clock = clock
        self.logger = logger
        collector = GarbageCollector(blobs: blobs, graceSeconds: settings.gcGraceSeconds, clock: clock)
        checker = StoreChecker(blobs: blobs)
        backupWriter = BackupWriter(blobs: blobs, database: database, dataDirectory: dataDirectory, clock: clock)
    }

    /// Starts the timer (unless `maintenance.intervalSeconds` is 0); reads the storage figures at once.
    public func start() {
        let interval = settings.intervalSeconds
        let task = Task { [self] in
            await refreshStatistics()
            guard interval > 0 else { return }
            while !Task.isCancelled {
                // A cancelled sleep returns early; the loop then ends.
                try? await Task.sleep(for: .seconds(interval))
                guard !Task.isCancelled else { return }
                await runPass()
            }
        }
        timer.withLock { $0 = task }
    }

    /// Stops the timer and waits for a pass in progress to end (cancelled at its next step).
    public func stop() async {
        let task = timer.withLock { task -> Task<Void, Never>? in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
    }

    /// One pass: prune, collect, read the figures. Skipped when an admin task holds the gate.
    func runPass() async {
        do {
            try await gate.run("background maintenance") {
                let pruned = try await blobs.store.pruneHistory()
                let collected = try await collector.run(dryRun: false)
                metrics.recordPass(
                    prunedRevisions: pruned.revisionsDeleted, collectedBlobs: collected.blobs + collected.orphanFiles,
                    collectedBytes: collected.blobBytes + collected.orphanFileBytes)
                if pruned.revisionsDeleted + Int(collected.blobs + collected.orphanFiles) > 0 {
                    logger.info(
                        "maintenance pass",
                        metadata: [
                            "prunedRevisions": "\(pruned.revisionsDeleted)", "purgedEntries": "\(pruned.entriesPurged)",
                            "deletedBlobs": "\(collected.blobs)", "deletedOrphanFiles": "\(collected.orphanFiles)",
                        ])
                }
            }
        } catch let error as APIError where error.code == .maintenanceBusy {
            logger.info("maintenance pass skipped: another maintenance task is running")
        } catch {
            metrics.recordFailure()
            logger.error("maintenance pass failed", metadata: ["error": "\(error)"])
        }
        await refreshStatistics()
    }

    /// Reads the storage figures for `/metrics`.
    func refreshStatistics() async {
        let store = blobs.store
        do {
            let statistics = try await store.database.queue.read { db in
                try StorageStatisticsReader.read(db, longPollWaiters: store.longPollWaiters)
            }
            metrics.record(statistics, at: clock.now())
        } catch {
            logger.warning("could not read the storage figures", metadata: ["error": "\(error)"])
        }
    }

    /// `POST /v1/admin/gc`.
    public func collectGarbage(dryRun: Bool) async throws -> GarbageCollectionReport {
        try await gate.run("garbage collection") { try await collector.run(dryRun: dryRun) }
    }

    /// `POST /v1/admin/fsck`.
    public func check(verifyHashes: Bool) async throws -> FsckReport {
        try await gate.run("fsck") { try await checker.run(verifyHashes: verifyHashes) }
    }

    /// `POST /v1/admin/backup`.
    public func backup(to destination: String) async throws -> BackupReport {
        try await gate.run("backup") { try await backupWriter.run(destination: destination) }
    }

    /// The `/metrics` lines of the storage and of maintenance.
    public func renderMetrics(namespace: String) -> String {
        metrics.render(namespace: namespace, longPollWaiters: blobs.store.longPollWaiters)
    }
}
