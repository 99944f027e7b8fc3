import CSystemShims
import Foundation
import Glibc
import Synchronization

/// A child process started with posix_spawn(3), for the end-to-end tests.
///
/// Not Foundation's `Process`: on this toolchain its `run()` reads `/proc/self/fd` entries
/// with a 256-byte copy of `d_name` that can run past glibc's readdir buffer and crash the
/// test process when it holds many descriptors (swift-corelibs-foundation PR #5472; seen here
/// with ~1,400 open descriptors during the parallel suite). Like `Process`, the child gets
/// only descriptors 0–2 (`posix_spawn_file_actions_addclosefrom_np`), default signal
/// dispositions and an empty signal mask, so it never inherits a test's sockets or a
/// SIG_IGN.
final class ChildProcess: Sendable {
    /// The child's pid.
    let processIdentifier: pid_t
    /// The raw wait(2) status once reaped.
    private let reaped = Mutex<Int32?>(nil)

    /// Starts `executable` with `arguments`, exactly `environment`, in `directory` (else the
    /// current one). A nil descriptor means /dev/null.
    init(
        executable: String, arguments: [String], environment: [String: String], directory: String? = nil,
        standardInput: Int32? = nil, standardOutput: Int32? = nil, standardError: Int32? = nil
    ) throws {
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard null >= 0 else { throw Failure("open /dev/null: \(String(cString: strerror(errno)))") }
        defer { close(null) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (source, target) in [(standardInput ?? null, Int32(0)), (standardOutput ?? null, 1), (standardError ?? null, 2)] {
            try Self.check(posix_spawn_file_actions_adddup2(&actions, source, target), "adddup2")
        }
        try Self.check(coffre_spawn_add_closefrom(&actions, 3), "addclosefrom_np")
        if let directory { try Self.check(coffre_spawn_add_chdir(&actions, directory), "addchdir_np") }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        var none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        try Self.check(posix_spawnattr_setsigdefault(&attributes, &all), "setsigdefault")
        try Self.check(posix_spawnattr_setsigmask(&attributes, &none), "setsigmask")
        try Self.check(posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)), "setflags")

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        try Self.check(posix_spawn(&pid, executable, &actions, &attributes, argv, envp), "posix_spawn \(executable)")
        processIdentifier = pid
    }

    /// The test process's environment without `COFFRE_*` variables, plus `overrides`.
    static func environment(_ overrides: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COFFRE_") }.merging(overrides) { $1 }
    }

    /// True until the child has exited (it is reaped then).
    var isRunning: Bool { reap(blocking: false) == nil }

    /// Blocks until the child has exited.
    func waitUntilExit() { _ = reap(blocking: true) }

    /// The exit status once `process` has exited, nil when `timeoutSeconds` passed first. Polls
    /// with `Task.sleep`, which holds none of the cooperative pool's threads (two on this
    /// machine): a test waiting for a child must not stall every other test's tasks.
    static func untilExit(_ process: ChildProcess, timeoutSeconds: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// The exit status, or the signal number that ended it (as `Process` reports them); only
    /// meaningful once `isRunning` is false.
    var terminationStatus: Int32 {
        guard let status = reaped.withLock({ $0 }) else { return -1 }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : signal
    }

    private func reap(blocking: Bool) -> Int32? {
        if let status = reaped.withLock({ $0 }) { return status }
        var status: Int32 = 0
        while true {
            let result = waitpid(processIdentifier, &status, blocking ? 0 : WNOHANG)
            if result == processIdentifier {
                reaped.withLock { $0 = status }
                return status
            }
            if result == 0 { return nil }
            if errno == EINTR { continue }
            // ECHILD: another thread reaped it and is about to record the status.
            if let status = reaped.withLock({ $0 }) { return status }
            usleep(1_000)
        }
    }

    private static func check(_ result: Int32, _ operation: String) throws {
        guard result == 0 else { throw Failure("\(operation): \(String(cString: strerror(result)))") }
    }
}

/// Runs a blocking wait (a `poll(2)` loop on a child's pipe) on a thread of its own, so that it
/// holds none of the cooperative pool's threads while it waits.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}
