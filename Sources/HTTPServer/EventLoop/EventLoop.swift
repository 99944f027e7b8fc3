import CSystemShims
import Glibc
import Logging
import Synchronization

/// One event loop: a thread with its own epoll instance and its own `SO_REUSEPORT` listening
/// socket, owning every connection it accepts. Each connection is registered once, edge-triggered,
/// for both directions, and never changed after (no epoll_ctl per request or per response);
/// the listener and the eventfd are level-triggered.
///
/// `@unchecked Sendable`: handler tasks and the server reach a loop only through `submit(_:)`,
/// which goes through the Mutex-guarded inbox and the eventfd; every other stored property is
/// touched only on the loop's own thread, inside `run()`.
final class EventLoop: @unchecked Sendable {
    private static let notifierToken = UInt64.max
    private static let listenerToken = UInt64.max - 1
    private static let timerTick: UInt64 = 100_000_000
    static let readBufferSize = 64 * 1024
    /// Room for a fast-lane response: a 16 KiB body and its head, with margin.
    static let gatherBufferSize = 20 * 1024
    /// Inbox passes per wake-up before epoll is polled again (bounds the loop's latency for I/O).
    private static let drainRounds = 4

    let index: Int
    let context: ServerContext
    private let epoll: EpollInstance
    private let notifier: EventNotifier
    private let inbox = Mutex<[LoopMessage]>([])
    /// Set once `run()` returned; later messages are refused on the sender's thread.
    private let hasStopped = Atomic<Bool>(false)
    private let wakeupPending = Atomic<Bool>(false)
    private var listener: ListeningSocket?
    private var drained: [LoopMessage] = []
    private var connections: [HTTPConnection?] = []
    /// Connections that stopped reading at the per-event cap with bytes maybe left: epoll will
    /// not report them again (edge-triggered), so they are read again after this pass.
    private var readsDeferred: [HTTPConnection] = []
    private var readsDeferredNow: [HTTPConnection] = []
    private var connectionCount = 0
    private var shutdownDeadline: UInt64?
    private var lastTimerScan: UInt64 = 0
    private var acceptPausedUntil: UInt64 = 0
    /// Scratch buffer every socket read goes into; its bytes are consumed before the next read.
    let readBuffer: UnsafeMutableRawBufferPointer
    /// Scratch buffer for file bytes sent through an encrypted transport.
    let fileBuffer: UnsafeMutableRawBufferPointer
    /// Where a fast-lane response is put together for its single write (`HTTPConnection+FastLane`).
    let gatherBuffer: UnsafeMutableRawBufferPointer
    /// The loop's clock: monotonic nanoseconds, read once per wake-up.
    private(set) var now: UInt64
    private var dateSecond: Int64 = -1
    private(set) var dateBytes: [UInt8] = []

    init(index: Int, context: ServerContext, listener: ListeningSocket) throws(HTTPServerError) {
        self.index = index
        self.context = context
        self.epoll = try EpollInstance()
        self.notifier = try EventNotifier()
        self.listener = listener
        self.readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16)
        self.fileBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16)
        self.gatherBuffer = .allocate(byteCount: Self.gatherBufferSize, alignment: 16)
        self.now = SystemCall.monotonicNanoseconds()
        try epoll.add(notifier.descriptor, events: .readable, token: Self.notifierToken)
        try epoll.add(listener.descriptor, events: .readable, token: Self.listenerToken)
    }

    deinit {
        readBuffer.deallocate()
        fileBuffer.deallocate()
        gatherBuffer.deallocate()
    }

    /// Hands `message` to the loop thread; writes the eventfd only when the loop may be asleep
    /// and no wake-up is pending yet (wake-ups are coalesced: at most one per sleep).
    func submit(_ message: LoopMessage) {
        let accepted = inbox.withLock { messages -> Bool in
            guard !hasStopped.load(ordering: .acquiring) else { return false }
            messages.append(message)
            return true
        }
        guard accepted else {
            Self.refuse(message)
            return
        }
        if !wakeupPending.exchange(true, ordering: .acquiringAndReleasing) {
            notifier.notify()
        }
    }

    /// The loop body; returns when a shutdown completed.
    func run() {
        let capacity: Int32 = 256
        let events = UnsafeMutablePointer<coffre_epoll_event>.allocate(capacity: Int(capacity))
        defer { events.deallocate() }
        while true {
            // About to sleep: producers must write the eventfd from now on. Work queued before
            // this point is picked up without sleeping.
            wakeupPending.store(false, ordering: .sequentiallyConsistent)
            let queued = inbox.withLock { !$0.isEmpty }
            let timeout: Int32 =
                queued || !readsDeferred.isEmpty ? 0 : (connectionCount > 0 || shutdownDeadline != nil ? 100 : -1)
            let count: Int
            do {
                count = try epoll.wait(into: events, capacity: capacity, timeoutMilliseconds: timeout)
            } catch {
                context.logger.critical("event loop stopped", metadata: ["error": "\(error)"])
                break
            }
            // Awake: producers only append; the inbox is drained below, before sleeping again.
            wakeupPending.store(true, ordering: .sequentiallyConsistent)
            now = SystemCall.monotonicNanoseconds()
            for position in 0..<count {
                let event = events[position]
                switch event.data {
                case Self.notifierToken: notifier.drain()
                case Self.listenerToken: acceptConnections()
                default:
                    let fd = Int(event.data)
                    if fd < connections.count, let connection = connections[fd] {
                        connection.handle(EpollInstance.Events(rawValue: event.events))
                    }
                }
            }
            drainInbox()
            resumeDeferredReads()
            if now &- lastTimerScan >= Self.timerTick {
                lastTimerScan = now
                scanTimers()
            }
            if let deadline = shutdownDeadline, connectionCount == 0 || now >= deadline { break }
        }
        for case let connection? in connections { connection.close() }
        listener?.close()
        listener = nil
        epoll.close()
        // Whatever arrives from now on is refused by `submit`; what is queued is refused here,
        // so no writer or file descriptor waits on a loop that is gone.
        let leftovers = inbox.withLock { messages -> [LoopMessage] in
            hasStopped.store(true, ordering: .releasing)
            defer { messages = [] }
            return messages
        }
        for message in leftovers { Self.refuse(message) }
    }

    /// Releases what a message holds when the loop can no longer act on it.
    private static func refuse(_ message: LoopMessage) {
        switch message {
        case .response(_, _, let response):
            if case .file(let region) = response.body { region.close() }
        case .streamWrite(_, _, _, let continuation):
            continuation.resume(throwing: HTTPServerError.connectionClosed)
        case .job(let job):
            // The loop is gone but the task must still finish (its writer or body iterator will
            // see the connection closed): hand it to the global executor, never run it inline
            // (the submitter may be inside a continuation resume holding a lock).
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        case .bodyDemand, .streamEnd, .shutdown:
            break
        }
    }

    // MARK: Connection table

    func register(_ connection: HTTPConnection) throws(HTTPServerError) {
        let fd = Int(connection.descriptor)
        if fd >= connections.count {
            connections.append(contentsOf: repeatElement(nil, count: fd - connections.count + 1))
        }
        // epoll(7) edge-triggered: one registration for the connection's life, both directions;
        // the connection reads and writes until EAGAIN (or a short read) before it waits again.
        try epoll.add(connection.descriptor, events: [.readable, .writable, .peerShutWrite, .edgeTriggered], token: UInt64(fd))
        connections[fd] = connection
        connectionCount += 1
    }

    /// Reads `connection` again after this pass (it stopped at the per-event read cap).
    func readAgainLater(_ connection: HTTPConnection) {
        readsDeferred.append(connection)
    }

    /// Forgets a connection that is closing (before its descriptor is closed).
    func unregister(_ connection: HTTPConnection) {
        let fd = Int(connection.descriptor)
        guard fd < connections.count, connections[fd] === connection else { return }
        epoll.remove(connection.descriptor)
        connections[fd] = nil
        connectionCount -= 1
        context.metrics.connectionClosed()
    }

    /// The Date field value for now (RFC 9110 §6.6.1), regenerated once per second.
    func currentDate() -> [UInt8] {
        let seconds = Int64(time(nil))
        if seconds != dateSecond {
            dateSecond = seconds
            dateBytes = Array(HTTPDate.format(seconds).utf8)
        }
        return dateBytes
    }

    // MARK: Events

    private func acceptConnections() {
        guard let listener, now >= acceptPausedUntil else { return }
        for _ in 0..<64 {
            let accepted: (descriptor: Int32, address: HTTPRemoteAddress)?
            do {
                accepted = try listener.accept()
            } catch {
                // EMFILE and friends: stop accepting for a moment instead of spinning on a
                // listener that stays readable.
                context.logger.warning("accept failed", metadata: ["error": "\(error)"])
                acceptPausedUntil = now + 100_000_000
                setListenerInterest(listener, [])
                return
            }
            guard let (fd, address) = accepted else { return }
            guard context.metrics.admitConnection(limit: context.configuration.limits.maxConnections) else {
                SystemCall.close(fd)
                continue
            }
            context.tuneAcceptedSocket(fd, from: address)
            let transport: any ConnectionTransport
            do {
                transport = try context.configuration.transportFactory(fd)
            } catch {
                context.logger.debug("transport setup failed", metadata: ["error": "\(error)"])
                SystemCall.close(fd)
                context.metrics.connectionClosed()
                continue
            }
            let connection = HTTPConnection(loop: self, transport: transport, remoteAddress: address)
            do {
                try register(connection)
            } catch {
                context.logger.warning("cannot watch connection", metadata: ["error": "\(error)"])
                transport.close()
                context.metrics.connectionClosed()
            }
        }
    }

    /// Handles everything queued for the loop. Jobs run here may queue more (a handler's
    /// response, a writer's bytes), so the inbox is drained a few rounds before going back to
    /// epoll: a request answered without waiting on anything else costs no extra wake-up.
    private func drainInbox() {
        for _ in 0..<Self.drainRounds {
            inbox.withLock { swap(&$0, &drained) }
            if drained.isEmpty { return }
            for message in drained {
                switch message {
                case .response(let connection, let serial, let response):
                    connection.value.deliver(response, serial: serial)
                case .bodyDemand(let connection, let serial):
                    connection.value.bodyDemanded(serial: serial)
                case .streamWrite(let connection, let serial, let bytes, let continuation):
                    connection.value.streamWrite(bytes, serial: serial, continuation: continuation)
                case .streamEnd(let connection, let serial, let failed):
                    connection.value.streamEnded(serial: serial, failed: failed)
                case .shutdown(let deadline):
                    beginShutdown(deadline: deadline)
                case .job(let job):
                    job.runSynchronously(on: asUnownedTaskExecutor())
                }
            }
            drained.removeAll(keepingCapacity: true)
        }
    }

    /// Reads the connections that stopped at the read cap in an earlier pass (a closed one
    /// ignores it), so that one busy socket cannot hold the loop and none is forgotten.
    private func resumeDeferredReads() {
        guard !readsDeferred.isEmpty else { return }
        swap(&readsDeferred, &readsDeferredNow)
        for connection in readsDeferredNow { connection.resumeReading() }
        readsDeferredNow.removeAll(keepingCapacity: true)
    }

    private func beginShutdown(deadline: UInt64) {
        shutdownDeadline = deadline
        if let listener {
            epoll.remove(listener.descriptor)
            listener.close()
            self.listener = nil
        }
        for case let connection? in connections { connection.beginShutdown() }
    }

    private func setListenerInterest(_ listener: ListeningSocket, _ events: EpollInstance.Events) {
        do {
            try epoll.modify(listener.descriptor, events: events, token: Self.listenerToken)
        } catch {
            context.logger.error("cannot change listener interest", metadata: ["error": "\(error)"])
        }
    }

    private func scanTimers() {
        if acceptPausedUntil != 0, now >= acceptPausedUntil, let listener {
            acceptPausedUntil = 0
            setListenerInterest(listener, .readable)
        }
        for case let connection? in connections { connection.checkTimeouts() }
    }
}

/// Handler and writer tasks prefer their connection's loop as executor: their code runs on the
/// loop thread between awaits, and whatever they await (a Dispatch queue, a body chunk) resumes
/// them here through the inbox. CPU-heavy or blocking work must therefore be awaited on another
/// queue (see `HTTPBlockingWork`), exactly as it must never block the loop itself.
extension EventLoop: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }
}
