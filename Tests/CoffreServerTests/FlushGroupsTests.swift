@testable import CoffreServer
import Foundation
import Synchronization
import Testing

/// The group-commit rule of `FlushGroups`: a caller returns only after a flush that started
/// after its call ended; callers arriving during one flush share the next; errors reach every
/// caller a failed flush was meant to cover; keys do not wait for each other.
@Suite struct FlushGroupsTests {
    /// Runs `body` on a thread of its own (a blocked flush must not hold a pool thread).
    static func spawn(_ group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        group.enter()
        Thread.detachNewThread {
            body()
            group.leave()
        }
    }

    /// Starts a flush of `key` on a thread of its own that holds the key until the returned
    /// semaphore is signalled, and returns once that flush runs; `before` and `after` run
    /// inside it, around the hold.
    static func holdFlush(
        _ flushes: FlushGroups, _ key: String, _ threads: DispatchGroup,
        before: @escaping @Sendable () -> Void = {}, after: @escaping @Sendable () -> Void = {}
    ) -> DispatchSemaphore {
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        spawn(threads) {
            try! flushes.flush(key) { () throws(BlobStoreError) in
                before()
                started.signal()
                release.wait()
                after()
            }
        }
        started.wait()
        return release
    }

    /// Waits until `count` callers wait on `key`.
    static func waitForWaiters(_ flushes: FlushGroups, _ key: String, count: Int) {
        while flushes.waitingCount(key) < count { sched_yield() }
    }

    @Test func callersArrivingDuringAFlushWaitForTheNextAndShareIt() throws {
        let flushes = FlushGroups()
        let started = Atomic<Int>(0)
        let ended = Atomic<Int>(0)
        // What each follower saw when it returned: flushes ended so far.
        let seen = Mutex<[Int]>([])
        let threads = DispatchGroup()
        let releaseLeader = Self.holdFlush(
            flushes, "d", threads, before: { started.add(1, ordering: .sequentiallyConsistent) },
            after: { ended.add(1, ordering: .sequentiallyConsistent) })
        for _ in 0..<3 {
            Self.spawn(threads) {
                try! flushes.flush("d") { () throws(BlobStoreError) in
                    started.add(1, ordering: .sequentiallyConsistent)
                    ended.add(1, ordering: .sequentiallyConsistent)
                }
                seen.withLock { $0.append(ended.load(ordering: .sequentiallyConsistent)) }
            }
        }
        Self.waitForWaiters(flushes, "d", count: 3)
        // The running flush may have begun before their changes: none of them may return yet.
        #expect(seen.withLock { $0.isEmpty })
        releaseLeader.signal()
        threads.wait()
        // One flush for the three that arrived during the first, and each returned after it.
        let flushesRun = started.load(ordering: .sequentiallyConsistent)
        #expect(flushesRun == 2)
        #expect(seen.withLock { $0 } == [2, 2, 2])
        #expect(flushes.waitingCount("d") == 0)
    }

    @Test func aFailedFlushFailsEveryCallerItCoversAndTheNextCallerFlushesAgain() throws {
        let flushes = FlushGroups()
        let failures = Atomic<Int>(0)
        let threads = DispatchGroup()
        let releaseLeader = Self.holdFlush(flushes, "d", threads)
        for _ in 0..<3 {
            Self.spawn(threads) {
                do throws(BlobStoreError) {
                    try flushes.flush("d") { () throws(BlobStoreError) in throw .system("fsync a blob directory", errno: EIO) }
                } catch {
                    if case .io = error { failures.add(1, ordering: .sequentiallyConsistent) }
                }
            }
        }
        Self.waitForWaiters(flushes, "d", count: 3)
        releaseLeader.signal()
        threads.wait()
        let failed = failures.load(ordering: .sequentiallyConsistent)
        #expect(failed == 3)
        // The key is free again: a later caller runs its own flush.
        let ran = Atomic<Bool>(false)
        try flushes.flush("d") { () throws(BlobStoreError) in ran.store(true, ordering: .sequentiallyConsistent) }
        let didRun = ran.load(ordering: .sequentiallyConsistent)
        #expect(didRun)
    }

    @Test func aFlushOfOneKeyDoesNotWaitForAnother() throws {
        let flushes = FlushGroups()
        let threads = DispatchGroup()
        let releaseLeader = Self.holdFlush(flushes, "a", threads)
        let ran = Atomic<Bool>(false)
        // Returns while "a" is still held: otherwise this test would never end.
        try flushes.flush("b") { () throws(BlobStoreError) in ran.store(true, ordering: .sequentiallyConsistent) }
        let didRun = ran.load(ordering: .sequentiallyConsistent)
        #expect(didRun)
        releaseLeader.signal()
        threads.wait()
    }

    @Test func aFlushThatThrowsReachesItsOwnCaller() {
        let flushes = FlushGroups()
        #expect(throws: BlobStoreError.self) {
            try flushes.flush("d") { () throws(BlobStoreError) in throw .diskFull }
        }
        #expect(flushes.waitingCount("d") == 0)
    }
}
