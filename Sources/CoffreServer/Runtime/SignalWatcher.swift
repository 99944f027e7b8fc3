import Dispatch
import Glibc
import Synchronization

/// Turns SIGTERM/SIGINT into one "stop" callback and SIGHUP into "reload" callbacks, through
/// Dispatch signal sources (the handlers run on a private serial queue, never inside a signal
/// handler). SIGPIPE is ignored for the whole process: a peer closing its socket must surface as
/// EPIPE on the write, not kill the server.
public final class SignalWatcher: Sendable {
    private let queue = DispatchQueue(label: "coffred.signals")
    // DispatchSourceSignal is not Sendable; the array is written once in init and then only read
    // by `cancel()`, under the mutex.
    private let sources: Mutex<[any DispatchSourceSignal]>

    /// Starts watching. `onStop` runs at most once, for the first SIGTERM or SIGINT;
    /// `onReload` runs for every SIGHUP.
    public init(onStop: @escaping @Sendable (Int32) -> Void, onReload: @escaping @Sendable () -> Void) {
        signal(SIGPIPE, SIG_IGN)
        let stopped = OnceFlag()
        var made: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT, SIGHUP] {
            signal(number, SIG_IGN)  // the source receives it; the default action must not run
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            if number == SIGHUP {
                source.setEventHandler(handler: onReload)
            } else {
                source.setEventHandler {
                    if stopped.claim() { onStop(number) }
                }
            }
            source.resume()
            made.append(source)
        }
        sources = Mutex(made)
    }

    /// Stops watching (the signals stay ignored).
    public func cancel() {
        sources.withLock { list in
            for source in list { source.cancel() }
            list.removeAll()
        }
    }

    deinit { cancel() }
}

/// True for exactly one caller of `claim()`.
private final class OnceFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func claim() -> Bool { !flag.exchange(true, ordering: .acquiringAndReleasing) }
}
