@testable import CoffreServer
import Dispatch
import Synchronization
import Testing

/// `ConcurrentSyncs.run`: every item runs once, `width` at a time side by side (each worker on a
/// thread of its own, started at once — not on Dispatch's global pool, which on Linux keeps
/// about one thread per core), and the first error stops the items not started yet.
@Suite struct ConcurrentSyncsTests {
    /// `width` bodies that each wait until all of them have started: with the workers on the
    /// global pool only one or two ran at a time and the others waited for the pool to grow
    /// (about a thread a second), so this waited far past the generous deadline below.
    @Test func widthItemsRunSideBySide() async throws {
        let width = ConcurrentSyncs.width
        let count = Atomic<Int>(0)
        // The waiting happens on threads of the test's own, not on the cooperative pool, which
        // the rest of the suite keeps busy: only `ConcurrentSyncs` itself is under test.
        let seen = await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
            DispatchQueue(label: "coffre.test.coordinator").async {
                let started = DispatchSemaphore(value: 0)
                let release = DispatchSemaphore(value: 0)
                let finished = DispatchSemaphore(value: 0)
                DispatchQueue(label: "coffre.test.runner").async {
                    try? ConcurrentSyncs.run(Array(0..<width)) { (_: Int) throws(BlobStoreError) in
                        count.wrappingAdd(1, ordering: .relaxed)
                        started.signal()
                        release.wait()
                    }
                    finished.signal()
                }
                var seen = 0
                let deadline = DispatchTime.now() + 10
                for _ in 0..<width where started.wait(timeout: deadline) == .success { seen += 1 }
                for _ in 0..<width { release.signal() }
                finished.wait()
                continuation.resume(returning: seen)
            }
        }
        #expect(seen == width, "only \(seen) of \(width) bodies were running at once")
        #expect(count.load(ordering: .relaxed) == width)
    }

    @Test func everyItemRunsOnceAndTheFirstErrorIsThrown() throws {
        let seen = Mutex<[Int]>([])
        try ConcurrentSyncs.run(Array(0..<100)) { (item: Int) throws(BlobStoreError) in seen.withLock { $0.append(item) } }
        #expect(seen.withLock { $0.sorted() } == Array(0..<100))
        #expect(throws: BlobStoreError.hashMismatch) {
            try ConcurrentSyncs.run(Array(0..<100)) { (item: Int) throws(BlobStoreError) in
                if item == 3 { throw .hashMismatch }
            }
        }
    }
}
