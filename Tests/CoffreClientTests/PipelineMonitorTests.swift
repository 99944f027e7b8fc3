@testable import CoffreClient
import Foundation
import Synchronization
import Testing

/// `PipelineMonitor`: `update` wakes every waiting thread and task, `poll` takes what is ready
/// without waking anyone (a worker between steps of its work asks for more that way), and a
/// waiter re-checks only when woken.
@Suite struct PipelineMonitorTests {
    struct State {
        var ready = false
        /// How often the waiter's predicate ran.
        var checks = 0
        var queued = [1, 2, 3]
    }

    /// The waiter's predicate: counts its runs, done once `ready`.
    static func readyCounting(_ state: inout State) -> Bool? {
        state.checks += 1
        return state.ready ? true : nil
    }

    /// Takes everything queued through `poll`, then asks once more with nothing left.
    static func pollEverything(_ monitor: PipelineMonitor<State>) {
        var taken: [Int] = []
        while let item = monitor.poll({ $0.queued.popLast() }) { taken.append(item) }
        #expect(taken == [3, 2, 1])
        #expect(monitor.poll { $0.queued.popLast() } == nil)
    }

    @Test func pollDoesNotWakeASuspendedTask() async throws {
        let monitor = PipelineMonitor(State())
        let waiter = Task { await monitor.wait(until: Self.readyCounting) }
        // The first check and the suspension happen under one lock: once it has checked, it waits.
        try await withTimeout {
            while monitor.read({ $0.checks }) == 0 { await Task.yield() }
        }
        Self.pollEverything(monitor)
        monitor.update { $0.ready = true }
        #expect(try await withTimeout { await waiter.value })
        // A poll that woke the task would have made it check again (3 or more).
        #expect(monitor.read { $0.checks } == 2)
    }

    @Test func pollDoesNotWakeABlockedThread() async throws {
        let monitor = PipelineMonitor(State())
        let done = Mutex(false)
        let thread = Thread {
            _ = monitor.wait(until: Self.readyCounting)
            done.withLock { $0 = true }
            monitor.update { _ in }
        }
        thread.start()
        try await withTimeout {
            while monitor.read({ $0.checks }) == 0 { await Task.yield() }
        }
        Self.pollEverything(monitor)
        monitor.update { $0.ready = true }
        try await withTimeout {
            await monitor.wait { _ in done.withLock { $0 } ? () : nil }
        }
        // NSCondition may wake spuriously (pthread_cond_wait(3)), so a thread's count is at
        // least the two checks; what the polls must not do is leave the queue untaken.
        #expect(monitor.read { $0.checks } >= 2)
        #expect(monitor.read { $0.queued.isEmpty })
    }

    @Test func updateWakesATaskThatThenChecksAgain() async throws {
        let monitor = PipelineMonitor(State())
        let waiter = Task { await monitor.wait(until: Self.readyCounting) }
        try await withTimeout {
            while monitor.read({ $0.checks }) == 0 { await Task.yield() }
        }
        // A change the waiter does not wait for still wakes it: it checks and waits again.
        monitor.update { $0.queued.removeAll() }
        try await withTimeout {
            while monitor.read({ $0.checks }) < 2 { await Task.yield() }
        }
        monitor.update { $0.ready = true }
        #expect(try await withTimeout { await waiter.value })
        #expect(monitor.read { $0.checks } == 3)
    }
}
