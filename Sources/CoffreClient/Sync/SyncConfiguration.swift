import Foundation

/// How a `SyncEngine` syncs one folder with one vault.
public struct SyncConfiguration: Sendable {
    /// The sync folder (absolute, or relative to the working directory).
    public var folder: String
    /// This device's name, as conflict copies show it (`ConflictNamer` sanitizes it).
    public var deviceName: String
    /// How the folder is scanned (ignore rules, limits).
    public var scanOptions = ScanOptions()
    /// Upload requests in flight at once (each batch up to 16 MiB).
    public var transferConcurrency = 8
    /// Downloads fetched and written at once. A small file's download is mostly waiting (its
    /// request, file creation), so more overlap (docs/performance.md "Placing downloads").
    /// Memory stays bounded: a file of several chunks waits for the opener's buffers, a lone
    /// chunk is at most one blob.
    public var downloadConcurrency = 32
    /// Downloads placed together (`PlacementGroup`: their fsyncs side by side, one fsync per
    /// folder, one index transaction): at most this many files per group. Each written file
    /// waiting in a group holds two descriptors, and at most two groups wait at once.
    public var placementGroupFiles = 128
    /// A group is placed once its files hold this many bytes, whatever their number.
    public var placementGroupBytes = 16 << 20
    /// fsync(2)s in flight at once while a group is placed.
    public var placementSyncWidth = 32
    /// A placement group of at least this many files makes them durable with one syncfs(2)
    /// instead of an fsync(2) each (`PlacementGroup`); `Int.max` never does.
    public var placementFileSystemSyncFiles = 64
    /// Most entry changes per commit (the server takes up to 10,000).
    public var commitBatchSize = 1_000
    /// Most pull–plan–execute rounds in one pass before it reports what is left.
    public var maximumRounds = 8
    /// Time zone of the timestamps in conflict names.
    public var timeZone: TimeZone = .current
    /// Called with each progress reading, from any thread.
    public var progress: (@Sendable (SyncProgress) -> Void)?
    /// Daemon: how long local events and remote wake-ups settle before a pass.
    public var debounce: Duration = .milliseconds(500)
    /// Daemon: full passes happen at least this often, whatever the watcher says.
    public var fullScanInterval: Duration = .seconds(600)
    /// Daemon: how long one long-poll of the feed waits for a commit.
    public var longPollWait: Duration = .seconds(60)
    /// The watcher's own tuning (daemon).
    public var watcherOptions = WatcherOptions()

    /// Test hook: called at each `SyncFaultPoint`.
    var faultHook: SyncFaultHook?
    /// Chunk sizes; production outside tests, which use small chunks to get many.
    var chunkingParameters: ChunkingParameters = .production
    /// Threads of the sealing and opening pipelines.
    var pipelineWorkers = FileSealer.defaultWorkerCount

    /// A configuration for `folder` on the device called `deviceName`.
    public init(folder: String, deviceName: String) {
        self.folder = folder
        self.deviceName = deviceName
    }
}
