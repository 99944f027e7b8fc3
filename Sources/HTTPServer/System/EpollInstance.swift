import CSystemShims
import Glibc

/// Owns one epoll instance (epoll(7)), level-triggered, used by one event loop thread.
final class EpollInstance {
    /// Readiness events of one registered descriptor.
    struct Events: OptionSet {
        let rawValue: UInt32
        static let readable = Events(rawValue: COFFRE_EPOLLIN)
        static let writable = Events(rawValue: COFFRE_EPOLLOUT)
        static let error = Events(rawValue: COFFRE_EPOLLERR)
        static let hangUp = Events(rawValue: COFFRE_EPOLLHUP)
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
