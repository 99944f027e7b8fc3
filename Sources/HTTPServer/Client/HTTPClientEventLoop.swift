import CSystemShims
import Glibc
import Synchronization

/// The client's readiness thread: one epoll instance that tells waiting requests when their
/// socket became readable or writable, or that their deadline passed.
///
/// Client I/O itself is non-blocking and runs in the requesting task, on whatever executor it
/// has (the cooperative pool, a server loop for `coffre dav`): only a task whose socket would
/// block suspends, here, so no thread ever blocks on the network and no executor hop is paid
/// while bytes are flowing.
///
/// `@unchecked Sendable`: other threads reach the loop only through `submit(_:)`, which goes
/// through the Mutex-guarded inbox and the eventfd; every other stored property is touched
/// only on the loop thread inside `run()`. Continuations are resumed only by the loop thread.
final class HTTPClientEventLoop: @unchecked Sendable {
    /// Why a wait ended.
    enum Outcome: Sendable {
        case ready(EpollInstance.Events)
        case timedOut
        case cancelled
        case shutDown
    }

    /// One suspended wait. The cancellation handler may flag it from any thread; everything
    /// else about it happens on the loop thread.
    final class Waiter: Sendable {
        let descriptor: Int32
        let events: EpollInstance.Events
        /// Monotonic nanoseconds, or nil for no deadline.
        let deadline: UInt64?
        let isCancelled = Atomic<Bool>(false)

        init(descriptor: Int32, events: EpollInstance.Events, deadline: UInt64?) {
            self.descriptor = descriptor
            self.events = events
            self.deadline = deadline
        }
    }

    private enum Message {
        case watch(Waiter, UnsafeContinuation<Outcome, Never>)
        case cancel(Waiter)
        case stop
    }

    private struct Registration {
        let waiter: Waiter
        let continuation: UnsafeContinuation<Outcome, Never>
    }

    private static let notifierToken = UInt64.max
    private let epoll: EpollInstance
    private let notifier: EventNotifier
    private let inbox = Mutex<(messages: [Message], stopped: Bool)>(([], false))
    private var drained: [Message] = []
    /// Registered waits, indexed by descriptor (a descriptor has at most one waiter: its
    /// connection belongs to one request at a time).
    private var registrations: [Registration?] = []
    private var registrationCount = 0
    private var thread: LoopThread?

    /// Creates the epoll instance and starts the loop thread.
    init(name: String) throws(HTTPClientError) {
        do throws(HTTPServerError) {
            epoll = try EpollInstance()
            notifier = try EventNotifier()
            try epoll.add(notifier.descriptor, events: .readable, token: Self.notifierToken)
        } catch {
            throw Self.clientError(error)
        }
        do throws(HTTPServerError) {
            thread = try LoopThread(name: name) { [self] in run() }
        } catch {
            throw Self.clientError(error)
        }
    }

    /// Suspends until `descriptor` is ready for `events`, `deadline` passes, the task is
    /// cancelled or the loop stops.
    func wait(for events: EpollInstance.Events, on descriptor: Int32, deadline: UInt64?) async -> Outcome {
        let waiter = Waiter(descriptor: descriptor, events: events, deadline: deadline)
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                submit(.watch(waiter, continuation))
            }
        } onCancel: {
            waiter.isCancelled.store(true, ordering: .releasing)
            submit(.cancel(waiter))
        }
    }

    /// Stops the loop: every pending wait ends with `.shutDown`, later ones at once. Waits for
    /// the thread to finish unless called on it.
    func stop() {
        submit(.stop)
        thread?.join()
    }

    private func submit(_ message: Message) {
        let accepted = inbox.withLock { inbox -> Bool in
            guard !inbox.stopped else { return false }
            inbox.messages.append(message)
            return true
        }
        if accepted {
            notifier.notify()
        } else if case .watch(_, let continuation) = message {
            continuation.resume(returning: .shutDown)
        }
    }

    private func run() {
        let capacity: Int32 = 64
        let events = UnsafeMutablePointer<coffre_epoll_event>.allocate(capacity: Int(capacity))
        defer { events.deallocate() }
        var running = true
        while running {
            let count: Int
            do {
                count = try epoll.wait(into: events, capacity: capacity, timeoutMilliseconds: nextTimeout())
            } catch {
                // epoll_wait fails only for a broken epoll descriptor: end every wait.
                break
            }
            for position in 0..<count {
                let event = events[position]
                if event.data == Self.notifierToken {
                    notifier.drain()
                } else {
                    finish(descriptor: Int(event.data), with: .ready(EpollInstance.Events(rawValue: event.events)))
                }
            }
            running = drainInbox()
            expireDeadlines()
        }
        let leftovers = inbox.withLock { inbox -> [Message] in
            inbox.stopped = true
            defer { inbox.messages = [] }
            return inbox.messages
        }
        for case .watch(_, let continuation) in leftovers { continuation.resume(returning: .shutDown) }
        for case let registration? in registrations {
            epoll.remove(registration.waiter.descriptor)
            registration.continuation.resume(returning: .shutDown)
        }
        registrations = []
        epoll.close()
    }

    /// Handles queued messages; false once `.stop` arrived.
    private func drainInbox() -> Bool {
        inbox.withLock { swap(&$0.messages, &drained) }
        defer { drained.removeAll(keepingCapacity: true) }
        for message in drained {
            switch message {
            case .watch(let waiter, let continuation):
                register(waiter, continuation)
            case .cancel(let waiter):
                let fd = Int(waiter.descriptor)
                if fd < registrations.count, registrations[fd]?.waiter === waiter { finish(descriptor: fd, with: .cancelled) }
            case .stop:
                return false
            }
        }
        return true
    }

    private func register(_ waiter: Waiter, _ continuation: UnsafeContinuation<Outcome, Never>) {
        // The cancellation handler ran before the wait reached the loop.
        if waiter.isCancelled.load(ordering: .acquiring) {
            continuation.resume(returning: .cancelled)
            return
        }
        let fd = Int(waiter.descriptor)
        if fd >= registrations.count {
            registrations.append(contentsOf: repeatElement(nil, count: fd - registrations.count + 1))
        }
        // A registration still present belongs to a wait on a descriptor that was closed and
        // reused (closing removed it from epoll); it ended already and is simply replaced.
        if registrations[fd] == nil { registrationCount += 1 }
        registrations[fd] = Registration(waiter: waiter, continuation: continuation)
        do throws(HTTPServerError) {
            // epoll_ctl(2): ADD, or MOD when the kernel still watches this open file.
            do throws(HTTPServerError) {
                try epoll.add(waiter.descriptor, events: waiter.events, token: UInt64(fd))
            } catch .system(_, let code, _) where code == EEXIST {
                try epoll.modify(waiter.descriptor, events: waiter.events, token: UInt64(fd))
            }
        } catch {
            // EBADF and friends: report the descriptor as failed; the caller's next I/O call
            // returns the real error.
            finish(descriptor: fd, with: .ready(.error))
        }
    }

    /// Ends the wait on `descriptor` (if any) with `outcome`.
    private func finish(descriptor fd: Int, with outcome: Outcome) {
        guard fd < registrations.count, let registration = registrations[fd] else { return }
        registrations[fd] = nil
        registrationCount -= 1
        epoll.remove(registration.waiter.descriptor)
        registration.continuation.resume(returning: outcome)
    }

    /// Milliseconds until the nearest deadline (rounded up), -1 without any.
    private func nextTimeout() -> Int32 {
        guard registrationCount > 0 else { return -1 }
        var nearest = UInt64.max
        for case let registration? in registrations {
            if let deadline = registration.waiter.deadline, deadline < nearest { nearest = deadline }
        }
        guard nearest != .max else { return -1 }
        let now = SystemCall.monotonicNanoseconds()
        guard nearest > now else { return 0 }
        return Int32(min((nearest - now + 999_999) / 1_000_000, 60_000))
    }

    private func expireDeadlines() {
        guard registrationCount > 0 else { return }
        let now = SystemCall.monotonicNanoseconds()
        for fd in registrations.indices {
            if let deadline = registrations[fd]?.waiter.deadline, deadline <= now { finish(descriptor: fd, with: .timedOut) }
        }
    }

    /// A setup failure of the loop's own descriptors or thread, as the client reports it.
    static func clientError(_ error: HTTPServerError) -> HTTPClientError {
        if case .system(let call, let code, let message) = error { return .system(call: call, code: code, message: message) }
        return .system(call: "event loop setup", code: 0, message: error.description)
    }
}
