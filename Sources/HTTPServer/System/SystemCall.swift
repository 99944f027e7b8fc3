import Glibc

/// Helpers shared by the classes that own a file descriptor: EINTR retry and error text.
enum SystemCall {
    /// The error for a failed call, with the system's text for the current `errno`.
    static func error(_ call: String, code: Int32 = errno) -> HTTPServerError {
        .system(call: call, code: code, message: String(cString: strerror(code)))
    }

    /// Runs `body` until it does not fail with EINTR; returns its result (errno is preserved).
    @inline(__always)
    static func retryingOnInterrupt<T: BinaryInteger>(_ body: () -> T) -> T {
        while true {
            let result = body()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }

    /// Closes a descriptor once; EINTR is not retried (Linux closes the fd even then, close(2)).
    /// EBADF means the number was closed already: a double close, which in a threaded process
    /// can close a descriptor another thread just opened; debug builds stop right there.
    static func close(_ descriptor: Int32) {
        let result = Glibc.close(descriptor)
        assert(result == 0 || errno != EBADF, "close(2) of a descriptor that is not open: a double close")
    }

    /// Whether `descriptor` can be written without blocking right now (poll(2), POLLOUT,
    /// zero timeout).
    static func isWritableNow(_ descriptor: Int32) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        return retryingOnInterrupt { poll(&entry, 1, 0) } == 1 && entry.revents & Int16(POLLOUT) != 0
    }

    /// The monotonic clock in nanoseconds (clock_gettime(2), CLOCK_MONOTONIC).
    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Nanoseconds in a Duration, clamped at zero.
    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}
