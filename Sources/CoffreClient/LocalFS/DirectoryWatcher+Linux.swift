import CSystemShims
import Foundation
import Glibc
import Synchronization

/// Watches a sync root with inotify(7) and delivers "these paths may have changed" batches.
///
/// Every folder of the tree gets a watch (inotify is not recursive); folders created or moved
/// in are watched as they appear, and everything already inside them is reported, since it
/// may have been written before the watch existed. Folders deleted or moved out lose their
/// watches. Reports are coalesced (`WatcherOptions.quietPeriod`, `maximumDelay`). A queue
/// overflow asks for a full rescan; running out of watches switches to a degraded mode with
/// periodic full scans, announced once with `.degraded`. The sync's own state folder and temp
/// files are neither watched nor reported; `.coffreignore` rules are the consumer's business
/// (`TreeScan.ignoreRules`).
///
/// Usage: create the watcher *before* the initial scan (watches exist once `init` returns, so
/// nothing that happens during the scan is lost), scan, then consume `events()`. The stream
/// ends when its consuming task is cancelled, on `stop()`, or when the watcher is released.
public final class DirectoryWatcher: Sendable {
    private let pendingLoop: Mutex<WatchLoop?>
    private let wakeup: LocalFileDescriptor
    private let degradedFlag: Atomic<Bool>

    /// Starts watching the tree under `root`. Throws only when the wake-up eventfd cannot be made.
    public init(root: SyncRoot, options: WatcherOptions = WatcherOptions()) throws(LocalFSError) {
        let fd = coffre_eventfd()
        guard fd >= 0 else { throw .system(operation: "create an eventfd", code: errno) }
        wakeup = LocalFileDescriptor(adopting: fd)
        let loop = WatchLoop(root: root, options: options, wakeup: wakeup)
        loop.watchWholeTree()
        degradedFlag = Atomic(loop.degradedReason != nil)
        pendingLoop = Mutex(loop)
    }

    deinit {
        stop()
    }

    /// Whether the watcher was degraded when it was set up (see `WatchEvent.degraded` for later).
    public var isDegraded: Bool { degradedFlag.load(ordering: .relaxed) }

    /// The stream of batches; starts the reader thread. Can be called once.
    public func events() throws(LocalFSError) -> AsyncStream<WatchEvent> {
        guard let loop = pendingLoop.withLock({ pending in pending.take() }) else {
            throw .misuse("events() was already called")
        }
        // A bounded buffer: when the consumer falls that far behind, the loop owes it a
        // rescan instead of piling up batches (see WatchLoop.send).
        let (stream, continuation) = AsyncStream.makeStream(of: WatchEvent.self, bufferingPolicy: .bufferingOldest(64))
        continuation.onTermination = { [weak self] _ in self?.stop() }
        let thread = Thread { loop.run(continuation) }
        thread.name = "coffre-watcher"
        thread.start()
        return stream
    }

    /// Ends the stream: wakes the reader thread, which finishes the stream and releases the
    /// inotify instance. Safe to call more than once and from any thread.
    public func stop() {
        var one: UInt64 = 1
        // eventfd(2): a write adds to the counter; it cannot block unless the counter is near
        // its maximum, and the descriptor is non-blocking anyway.
        _ = withUnsafeBytes(of: &one) { bytes in retryingOnInterrupt { write(wakeup.raw, bytes.baseAddress, 8) } }
    }
}
