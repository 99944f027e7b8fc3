import Glibc

/// The state and the reader loop of one `DirectoryWatcher`.
///
/// Safety of `@unchecked Sendable`: a loop is owned by one thread at a time. It is built and
/// set up by `DirectoryWatcher.init`, kept in the watcher's mutex untouched, taken out exactly
/// once by `events()`, and from then on used only by the reader thread that `events()` starts.
final class WatchLoop: @unchecked Sendable {
    let root: SyncRoot
    let options: WatcherOptions
    private let wakeup: LocalFileDescriptor
    let inotify: InotifyInstance?
    var table = WatchTable()
    var coalescer: ChangeCoalescer
    /// Set when the watcher stopped covering the whole tree.
    private(set) var degradedReason: DegradedReason?
    private var degradedNoticeSent = false
    private var nextPeriodicScan: ContinuousClock.Instant?
    /// A batch was dropped by the full stream buffer; a rescan request is owed.
    private var owesRescan = false
    let buffer: UnsafeMutableRawBufferPointer

    init(root: SyncRoot, options: WatcherOptions, wakeup: LocalFileDescriptor) {
        self.root = root
        self.options = options
        self.wakeup = wakeup
        self.coalescer = ChangeCoalescer(
            quietPeriod: options.quietPeriod, maximumDelay: options.maximumDelay, maximumPaths: options.maximumPathsPerBatch)
        self.buffer = .allocate(byteCount: 64 * 1024, alignment: 8)
        switch InotifyInstance.make() {
        case .success(let instance):
            inotify = instance
        case .failure(let error):
            // EMFILE (instances), ENFILE or ENOMEM: no watching at all, periodic scans only.
            inotify = nil
            degradedReason = .inotifyUnavailable(errno: error.code)
        }
    }

    deinit {
        buffer.deallocate()
    }

    /// Marks the watcher degraded (first reason wins).
    func degrade(_ reason: DegradedReason) {
        if degradedReason == nil { degradedReason = reason }
    }

    /// The reader loop: waits on inotify and the wake-up eventfd with poll(2), drains events,
    /// and sends batches when they are due. Returns (finishing the stream) once woken by `stop`.
    func run(_ continuation: AsyncStream<WatchEvent>.Continuation) {
        var events: [InotifyEvent] = []
        while true {
            let now = ContinuousClock.now
            if owesRescan, case .enqueued = continuation.yield(.rescanRequired(.overflow)) { owesRescan = false }
            if let reason = degradedReason, !degradedNoticeSent {
                degradedNoticeSent = true
                send(.degraded(reason), continuation)
                nextPeriodicScan = now + options.fallbackScanInterval
            }
            if let batch = coalescer.takeBatch(at: now) { send(batch, continuation) }
            if let next = nextPeriodicScan, now >= next {
                send(.rescanRequired(.periodic), continuation)
                nextPeriodicScan = now + options.fallbackScanInterval
            }
            var deadline = [coalescer.deadline, nextPeriodicScan].compactMap { $0 }.min()
            if owesRescan { deadline = min(deadline ?? now + .milliseconds(100), now + .milliseconds(100)) }
            var fds = [pollfd(fd: wakeup.raw, events: Int16(POLLIN), revents: 0)]
            if let inotify { fds.append(pollfd(fd: inotify.descriptor.raw, events: Int16(POLLIN), revents: 0)) }
            let (ready, _) = retryingOnInterrupt { poll(&fds, nfds_t(fds.count), Self.milliseconds(until: deadline, from: now)) }
            // poll(2) fails only on EFAULT/EINVAL/ENOMEM: nothing more can be watched.
            if ready < 0 { break }
            if fds[0].revents != 0 { break }
            if let inotify, fds.count > 1, fds[1].revents != 0 {
                drain(inotify, into: &events)
            }
        }
        continuation.finish()
    }

    /// Reads and handles every event waiting on the instance.
    private func drain(_ inotify: InotifyInstance, into events: inout [InotifyEvent]) {
        while true {
            events.removeAll(keepingCapacity: true)
            let gotAny: Bool
            do {
                gotAny = try inotify.readEvents(into: &events, buffer: buffer)
            } catch {
                // A read error or a malformed record: events may be lost.
                coalescer.recordRescan(.overflow, at: .now)
                return
            }
            for event in events { handle(event, at: .now) }
            if !gotAny { return }
        }
    }

    /// Yields to the stream; a drop (full buffer) is remembered as an owed rescan.
    private func send(_ event: WatchEvent, _ continuation: AsyncStream<WatchEvent>.Continuation) {
        if case .dropped = continuation.yield(event) { owesRescan = true }
    }

    /// poll(2)'s timeout for `deadline`: -1 to wait forever, else whole milliseconds rounded up.
    private static func milliseconds(until deadline: ContinuousClock.Instant?, from now: ContinuousClock.Instant) -> Int32 {
        guard let deadline else { return -1 }
        let remaining = now.duration(to: deadline)
        guard remaining > .zero else { return 0 }
        let (seconds, attoseconds) = remaining.components
        let total = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: total)
    }
}
