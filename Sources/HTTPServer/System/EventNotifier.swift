import CSystemShims
import Glibc

/// Owns one eventfd (eventfd(2)) that other threads write to wake an event loop.
///
/// `@unchecked Sendable`: the descriptor is immutable after init; `notify()` and `drain()` are
/// single system calls that the kernel makes thread-safe; the descriptor is closed in deinit,
/// when no thread holds the notifier any more.
final class EventNotifier: @unchecked Sendable {
    let descriptor: Int32

    init() throws(HTTPServerError) {
        let result = coffre_eventfd()
        guard result >= 0 else { throw SystemCall.error("eventfd") }
        descriptor = result
    }

    deinit { SystemCall.close(descriptor) }

    /// Adds one to the counter, making the descriptor readable. EAGAIN (counter saturated)
    /// means it is readable already.
    func notify() {
        var one: UInt64 = 1
        _ = SystemCall.retryingOnInterrupt { Glibc.write(descriptor, &one, 8) }
    }

    /// Resets the counter to zero so the descriptor is no longer readable (EAGAIN: it was
    /// zero already).
    func drain() {
        var value: UInt64 = 0
        _ = SystemCall.retryingOnInterrupt { Glibc.read(descriptor, &value, 8) }
    }
}
