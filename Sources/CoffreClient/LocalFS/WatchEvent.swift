/// What a `DirectoryWatcher` delivers: hints about where to look, never facts. The planner
/// re-examines the reported paths (lstat, or a scan of a folder) before acting.
public enum WatchEvent: Sendable, Equatable {
    /// These paths (sorted, without duplicates) may have been created, modified, renamed or
    /// deleted. A path that is a folder may have new contents too.
    case changed([LocalPath])
    /// Changes may have been missed; scan the whole tree.
    case rescanRequired(RescanReason)
    /// The watcher cannot cover the whole tree and falls back to periodic full scans
    /// (`rescanRequired(.periodic)` every `WatcherOptions.fallbackScanInterval`). Sent once.
    case degraded(DegradedReason)
}

/// Why a full rescan is needed.
public enum RescanReason: Sendable, Equatable {
    /// The kernel's event queue overflowed (IN_Q_OVERFLOW): events were dropped.
    case overflow
    /// More distinct paths changed within one batch than `WatcherOptions.maximumPathsPerBatch`.
    case tooManyChanges
    /// The root folder itself was moved, deleted or unmounted.
    case rootChanged
    /// A periodic scan in degraded mode.
    case periodic
}

/// Why the watcher is degraded.
public enum DegradedReason: Sendable, Equatable {
    /// inotify_add_watch(2) failed with ENOSPC ("The user limit on the total number of inotify
    /// watches was reached"): raise fs.inotify.max_user_watches.
    case kernelWatchLimitReached
    /// More folders than `WatcherOptions.maximumWatches`.
    case watchLimitReached
    /// inotify could not be set up at all: inotify_init1(2) or opening the root failed with
    /// this errno (EMFILE: the per-user inotify instance limit or the process's descriptor
    /// limit; ENFILE; ENOMEM).
    case inotifyUnavailable(errno: Int32)
}

/// Tuning of a `DirectoryWatcher`.
public struct WatcherOptions: Sendable {
    /// A batch is sent once no event arrived for this long (the debounce window)...
    public var quietPeriod: Duration = .milliseconds(200)
    /// ...or this long after its first event, whichever comes first, so that a file written
    /// continuously still gets reported.
    public var maximumDelay: Duration = .seconds(2)
    /// Distinct paths one batch may hold before it collapses into `rescanRequired(.tooManyChanges)`.
    public var maximumPathsPerBatch = 10_000
    /// Most folders watched; more makes the watcher degraded. nil: only the kernel's limit.
    public var maximumWatches: Int?
    /// How often a degraded watcher asks for a full scan.
    public var fallbackScanInterval: Duration = .seconds(60)
    /// Watch folders that are mount points of other file systems (as `ScanOptions.crossesFileSystems`).
    public var crossesFileSystems = false

    /// The default options.
    public init() {}
}
