import Dispatch
import Glibc
import Synchronization

/// SIGTERM and SIGINT as an awaitable event: their default actions are turned off
/// (signal(2)) and a dispatch source reports them instead (the handler runs on a queue, never
/// inside a signal handler). coffred's `SignalWatcher` does the same for the server; the client
/// does not link the server module.
final class StopSignals: Sendable {
    // DispatchSourceSignal is not Sendable: the sources are kept alive here, behind the mutex,
    // and never touched again.
    private let sources: Mutex<[any DispatchSourceSignal]>
    private let stream: AsyncStream<Void>

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.stream = stream
        sources = Mutex([SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            return source
        })
    }

    /// Returns at the first SIGTERM or SIGINT.
    func wait() async {
        for await _ in stream { return }
    }
}
