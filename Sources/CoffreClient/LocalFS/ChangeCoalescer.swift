/// Gathers change reports into batches: a batch is due once no report arrived for the quiet
/// period, or the maximum delay after its first report. Pure logic on given instants, so it
/// can be tested without waiting.
struct ChangeCoalescer {
    private let quietPeriod: Duration
    private let maximumDelay: Duration
    private let maximumPaths: Int
    private var paths: Set<LocalPath> = []
    private var rescan: RescanReason?
    private var firstReport: ContinuousClock.Instant?
    private var lastReport: ContinuousClock.Instant?

    init(quietPeriod: Duration, maximumDelay: Duration, maximumPaths: Int) {
        self.quietPeriod = quietPeriod
        self.maximumDelay = maximumDelay
        self.maximumPaths = maximumPaths
    }

    /// Whether nothing is waiting.
    var isEmpty: Bool { firstReport == nil }

    /// Records that `path` may have changed.
    mutating func record(_ path: LocalPath, at now: ContinuousClock.Instant) {
        touch(now)
        guard rescan == nil else { return }
        paths.insert(path)
        if paths.count > maximumPaths {
            paths = []
            rescan = .tooManyChanges
        }
    }

    /// Records that everything must be rescanned; the paths gathered so far are dropped.
    mutating func recordRescan(_ reason: RescanReason, at now: ContinuousClock.Instant) {
        touch(now)
        paths = []
        // The root going away matters more than an overflow, which matters more than volume.
        if rescan == nil || reason == .rootChanged || (reason == .overflow && rescan == .tooManyChanges) {
            rescan = reason
        }
    }

    /// When the pending batch becomes due, or nil when nothing is pending.
    var deadline: ContinuousClock.Instant? {
        guard let firstReport, let lastReport else { return nil }
        return min(lastReport + quietPeriod, firstReport + maximumDelay)
    }

    /// The pending batch if it is due at `now`, and resets; nil otherwise.
    mutating func takeBatch(at now: ContinuousClock.Instant) -> WatchEvent? {
        guard let deadline, now >= deadline else { return nil }
        let event: WatchEvent
        if let rescan {
            event = .rescanRequired(rescan)
        } else {
            event = .changed(paths.sorted { $0.onDisk.utf8.lexicographicallyPrecedes($1.onDisk.utf8) })
        }
        paths = []
        rescan = nil
        firstReport = nil
        lastReport = nil
        return event
    }

    private mutating func touch(_ now: ContinuousClock.Instant) {
        if firstReport == nil { firstReport = now }
        lastReport = now
    }
}
