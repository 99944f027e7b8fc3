import Foundation
import Glibc
import Synchronization

/// The settings of a run, from the environment (`make bench-sync` passes them through), and
/// small helpers for the machine: load average, open-file limit, page-cache flushing.
struct BenchEnvironment {
    /// The coffred binary to start (release build).
    let coffred: String
    /// Entries in the vault whose feed is read (the commit run writes them).
    let entries: Int
    /// Rounds of each side-by-side figure.
    let runs: Int
    /// Seconds of each wrk run.
    let wrkSeconds: Int
    /// nginx, when the script started one: its base URL, the folder it serves, its master's pid.
    let nginxURL: String?
    let nginxRoot: String?
    let nginxPID: Int32?
    /// Idle long-polls held open at once.
    let idlePolls: Int
    /// How commits and feed pages travel (`SYNC_BENCH_WIRE`, docs/protocol.md, "Binary encodings").
    let wire: Wire
    /// Only the commit run (`SYNC_BENCH_COMMITS_ONLY=1`): no transfers, feed, wake-ups or idle polls.
    let commitsOnly: Bool

    /// The encoding of commit bodies and feed pages.
    enum Wire: String {
        /// `application/vnd.coffre.commit` and `…changes`, as `SyncAPIClient` sends and asks.
        case binary
        /// JSON both ways, as curl and other clients do.
        case json
    }

    static func fromProcess() throws -> BenchEnvironment {
        let env = ProcessInfo.processInfo.environment
        func integer(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            guard let text = env[name] else { return fallback }
            guard let value = Int(text), range.contains(value) else { throw BenchFailure("\(name) must be a number in \(range)") }
            return value
        }
        return BenchEnvironment(
            coffred: env["COFFRED_BIN"] ?? ".build/release/coffred",
            entries: try integer("SYNC_BENCH_ENTRIES", 1_000_000, 1_000...10_000_000) / 1_000 * 1_000,
            runs: try integer("SYNC_BENCH_RUNS", 3, 1...20),
            wrkSeconds: try integer("WRK_DURATION", 8, 1...120),
            nginxURL: env["SYNC_BENCH_NGINX_URL"], nginxRoot: env["SYNC_BENCH_NGINX_ROOT"],
            nginxPID: env["SYNC_BENCH_NGINX_PID"].flatMap { Int32($0) },
            idlePolls: try integer("SYNC_BENCH_IDLE_POLLS", 1_000, 1...20_000),
            wire: try env["SYNC_BENCH_WIRE"].map {
                guard let wire = Wire(rawValue: $0) else { throw BenchFailure("SYNC_BENCH_WIRE must be binary or json") }
                return wire
            } ?? .binary,
            commitsOnly: env["SYNC_BENCH_COMMITS_ONLY"] == "1")
    }

    /// The 1, 5 and 15 minute load averages.
    static var loadAverage: String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ")
            ?? "unknown"
    }

    /// Raises the soft open-file limit to the hard one: the idle test holds a connection per poll.
    static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// User and system CPU seconds process `pid` has used (/proc/PID/stat fields 14 and 15,
    /// proc(5); counted after the ")" that closes the command name), 0 when it is gone.
    static func cpuSeconds(of pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The children of process `pid` (/proc/PID/task/PID/children, proc(5)): nginx's workers.
    static func children(of pid: Int32) -> [Int32] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { Int32($0) }
    }

    /// Writes dirty pages out (sync(2)) and pauses, so one server's buffered writes are not
    /// flushed during the next one's run.
    static func settle() async {
        sync()
        try? await Task.sleep(for: .seconds(1))
    }
}

/// A bench step that cannot go on.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Seconds since an instant of the continuous clock.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// A value shared by the tasks of a bench step, behind a lock.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ initial: Value) {
        value = Mutex(initial)
    }

    /// Reads or changes the value under the lock.
    func update<Result>(_ body: (inout Value) -> Result) -> Result {
        value.withLock { body(&$0) }
    }

    var current: Value { value.withLock { $0 } }
}
