import CSystemShims
import Glibc

/// Owns one epoll instance (epoll(7)) used by one event loop thread. Registrations are
/// level-triggered unless they include `edgeTriggered`.
final class EpollInstance {
    /// Readiness events of one registered descriptor.
    struct Events: OptionSet {
        let rawValue: UInt32
        static let readable = Events(rawValue: COFFRE_EPOLLIN)
        static let writable = Events(rawValue: COFFRE_EPOLLOUT)
        static let error = Events(rawValue: COFFRE_EPOLLERR)
        static let hangUp = Events(rawValue: COFFRE_EPOLLHUP)
        /// EPOLLRDHUP (epoll_ctl(2)): the peer shut down its sending side (a FIN arrived).
        static let peerShutWrite = Events(rawValue: COFFRE_EPOLLRDHUP)
        /// EPOLLET (epoll(7)): the descriptor is reported when new readiness arrives, not while
        /// it lasts; its owner reads and writes until EAGAIN before waiting again.
        static let edgeTriggered = Events(rawValue: COFFRE_EPOLLET)
    }

    let descriptor: Int32
    private var isClosed = false

    init() throws(HTTPServerError) {
        let result = coffre_epoll_create()
        guard result >= 0 else { throw SystemCall.error("epoll_create1") }
        descriptor = result
    }

    deinit { close() }

    /// Starts watching `fd` for `events`; `token` comes back with each event (epoll_ctl(2)).
    func add(_ fd: Int32, events: Events, token: UInt64) throws(HTTPServerError) {
        guard coffre_epoll_ctl(descriptor, COFFRE_EPOLL_CTL_ADD, fd, events.rawValue, token) == 0 else {
            throw SystemCall.error("epoll_ctl(ADD)")
        }
    }

    /// Changes the events watched on `fd`.
    func modify(_ fd: Int32, events: Events, token: UInt64) throws(HTTPServerError) {
        guard coffre_epoll_ctl(descriptor, COFFRE_EPOLL_CTL_MOD, fd, events.rawValue, token) == 0 else {
            throw SystemCall.error("epoll_ctl(MOD)")
        }
    }

    /// Stops watching `fd`; a descriptor that is already gone is not an error.
    func remove(_ fd: Int32) {
        _ = coffre_epoll_ctl(descriptor, COFFRE_EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) for events; EINTR returns 0 events.
    func wait(into events: UnsafeMutablePointer<coffre_epoll_event>, capacity: Int32, timeoutMilliseconds: Int32) throws(HTTPServerError) -> Int {
        let count = coffre_epoll_wait(descriptor, events, capacity, timeoutMilliseconds)
        if count < 0 {
            if errno == EINTR { return 0 }
            throw SystemCall.error("epoll_wait")
        }
        return Int(count)
    }

    /// Closes the epoll descriptor. Idempotent.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        SystemCall.close(descriptor)
    }
}
