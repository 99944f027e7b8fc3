import Glibc
import Logging
import Synchronization

/// An HTTP/1.1 server (RFC 9110/9112) on raw non-blocking sockets: one epoll event loop thread
/// per core, each with its own `SO_REUSEPORT` listener; handlers run as Swift tasks and hand
/// their responses back to the connection's loop.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 0), responder: router, logger: logger)
/// try server.start()
/// print(server.localPort)
/// await server.shutdown(gracePeriod: .seconds(5))
/// ```
public final class HTTPServer: Sendable {
    private struct State: ~Copyable {
        var loops: [EventLoop] = []
        var threads: [LoopThread] = []
        var port = 0
        var started = false
        var running = 0
        var stopped = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let context: ServerContext
    // Mutex-guarded: loops and threads are created in start() and joined once when stopped.
    private let state = Mutex(State())

    /// The server's counters (requests, bytes, connections, latency).
    public var metrics: HTTPServerMetrics { context.metrics }

    /// Prepares a server; nothing is bound until `start()`.
    public init(configuration: HTTPServerConfiguration, responder: some HTTPResponder, logger: Logger) {
        self.context = ServerContext(configuration: configuration, responder: responder, logger: logger)
    }

    /// Binds the listening sockets and starts the event loops; the server accepts connections
    /// when this returns. Throws for a bad configuration or a failed bind.
    public func start() throws(HTTPServerError) {
        let configuration = context.configuration
        guard configuration.eventLoopCount >= 1 else { throw .invalidConfiguration("eventLoopCount must be at least 1") }
        // OpenSSL writes with write(2): a vanished peer must give EPIPE, not kill the process.
        signal(SIGPIPE, SIG_IGN)
        try state.withLock { (state) throws(HTTPServerError) in
            guard !state.started else { throw .invalidState("server already started") }
            state.started = true
            var loops: [EventLoop] = []
            var port = configuration.port
            // Port 0: the first listener picks the port, the others bind the same one.
            for index in 0..<configuration.eventLoopCount {
                let listener = try ListeningSocket(host: configuration.host, port: port, backlog: configuration.listenBacklog)
                port = listener.port
                loops.append(try EventLoop(index: index, context: context, listener: listener))
            }
            state.port = port
            state.loops = loops
            for loop in loops {
                do throws(HTTPServerError) {
                    let thread = try LoopThread(name: "http-loop-\(loop.index)") { [self] in
                        loop.run()
                        self.loopExited()
                    }
                    state.threads.append(thread)
                    state.running += 1
                } catch {
                    // Stop the loops already running; `waitUntilStopped()` then returns.
                    for started in loops.prefix(state.running) { started.submit(.shutdown(deadline: 0)) }
                    throw error
                }
            }
        }
        context.logger.info(
            "HTTP server listening",
            metadata: ["port": "\(localPort)", "event_loops": "\(configuration.eventLoopCount)"])
    }

    /// The bound TCP port (the chosen one when configured with port 0); 0 before `start()`.
    public var localPort: Int {
        state.withLock { $0.port }
    }

    /// Stops accepting, closes idle keep-alive connections, lets in-flight requests finish for
    /// up to `gracePeriod`, then closes everything and joins the loop threads.
    public func shutdown(gracePeriod: Duration = .seconds(10)) async {
        let loops = state.withLock { $0.loops }
        let deadline = SystemCall.monotonicNanoseconds() + SystemCall.nanoseconds(gracePeriod)
        for loop in loops { loop.submit(.shutdown(deadline: deadline)) }
        await waitUntilStopped()
    }

    /// Returns once the server stopped (after `shutdown`), with every loop thread joined.
    public func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                // Never started, failed to start, or every loop has returned.
                if state.stopped || state.running == 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
        // Every loop has returned; joining only waits for the threads' last instructions.
        let threads = state.withLock { state -> [LoopThread] in
            let threads = state.threads
            state.threads = []
            return threads
        }
        for thread in threads { thread.join() }
    }

    /// Called on each loop thread as its loop returns; the last one joins the others and
    /// wakes the waiters.
    private func loopExited() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.running -= 1
            guard state.running == 0 else { return [] }
            state.stopped = true
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
