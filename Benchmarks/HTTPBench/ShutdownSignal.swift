import Dispatch
import Glibc

/// Waits for SIGINT or SIGTERM, so the benchmark script (or Ctrl-C) stops the server cleanly
/// and it removes the upload directory it created.
enum ShutdownSignal {
    /// Returns the first of SIGINT or SIGTERM to arrive.
    static func next() async -> Int32 {
        let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            // The default action would end the process before the cleanup: ignore it and take
            // the signal through a dispatch source instead.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        var received = SIGTERM
        for await number in signals {
            received = number
            break
        }
        for source in sources { source.cancel() }
        continuation.finish()
        return received
    }
}
