import Glibc

/// Where the account services read the time: Unix seconds (UTC). Production uses the system
/// clock; tests pass a closure over a value they advance, so expiry, throttling and "last seen"
/// are driven without sleeping.
public struct ServerClock: Sendable {
    private let read: @Sendable () -> Int64

    /// A clock reading `now`.
    public init(_ now: @escaping @Sendable () -> Int64) {
        self.read = now
    }

    /// The system's real-time clock (`clock_gettime(CLOCK_REALTIME)`).
    public static let system = ServerClock {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }

    /// The current time in Unix seconds.
    public func now() -> Int64 { read() }
}
