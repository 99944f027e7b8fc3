#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock and process CPU time of one measured run, and the throughput they give.
struct Measurement {
    let name: String
    let bytes: Int
    let wallSeconds: Double
    /// CPU time of every thread of the process (CLOCK_PROCESS_CPUTIME_ID).
    let cpuSeconds: Double

    /// Millions of bytes (10^6) per wall-clock second.
    var wallMBps: Double { Double(bytes) / wallSeconds / 1e6 }
    /// Millions of bytes per CPU second: the throughput of one fully used core.
    var cpuMBps: Double { Double(bytes) / cpuSeconds / 1e6 }
    /// The run with the median CPU throughput (the upper one of the middle two).
    static func median(_ runs: [Measurement]) -> Measurement {
        runs.sorted { $0.cpuMBps < $1.cpuMBps }[runs.count / 2]
    }

    /// Cores kept busy on average.
    var coresUsed: Double { cpuSeconds / wallSeconds }
}

/// Times closures with CLOCK_MONOTONIC (clock_gettime(2)) and CLOCK_PROCESS_CPUTIME_ID.
enum Stopwatch {
    static func measure(_ name: String, bytes: Int, _ body: () throws -> Void) rethrows -> Measurement {
        let (wall0, cpu0) = (now(CLOCK_MONOTONIC), now(CLOCK_PROCESS_CPUTIME_ID))
        try body()
        return Measurement(name: name, bytes: bytes, wallSeconds: now(CLOCK_MONOTONIC) - wall0, cpuSeconds: now(CLOCK_PROCESS_CPUTIME_ID) - cpu0)
    }

    static func measure(_ name: String, bytes: Int, _ body: () async throws -> Void) async rethrows -> Measurement {
        let (wall0, cpu0) = (now(CLOCK_MONOTONIC), now(CLOCK_PROCESS_CPUTIME_ID))
        try await body()
        return Measurement(name: name, bytes: bytes, wallSeconds: now(CLOCK_MONOTONIC) - wall0, cpuSeconds: now(CLOCK_PROCESS_CPUTIME_ID) - cpu0)
    }

    private static func now(_ clock: clockid_t) -> Double {
        var time = timespec()
        // clock_gettime(2) fails only for an unknown clock id; these two always exist on Linux.
        precondition(clock_gettime(clock, &time) == 0, "clock_gettime failed")
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
