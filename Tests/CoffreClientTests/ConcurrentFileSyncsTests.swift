@testable import CoffreClient
import Dispatch
import Synchronization
import Testing

@Suite struct ConcurrentFileSyncsTests {
    @Test func returnsEveryResultInTheItemsOrder() async {
        let items = Array(0..<500)
        #expect(await ConcurrentFileSyncs.run(items, width: 16) { $0 * 3 } == items.map { $0 * 3 })
        #expect(await ConcurrentFileSyncs.run([7], width: 0) { $0 + 1 } == [8])
        #expect(await ConcurrentFileSyncs.run([Int](), width: 8) { $0 }.isEmpty)
    }

    /// `width` calls really are in flight together, even beyond the number of cores: each call
    /// waits until all of them have started (a wait bounded only so that a failure does not hang
    /// the suite).
    @Test func runsWidthCallsAtOnce() async {
        let width = 12
        let started = Atomic(0)
        let allStarted = DispatchSemaphore(value: 0)
        let met = await ConcurrentFileSyncs.run(Array(0..<width), width: width) { _ in
            if started.wrappingAdd(1, ordering: .relaxed).newValue == width {
                for _ in 0..<width { allStarted.signal() }
            }
            return allStarted.wait(timeout: .now() + .seconds(60)) == .success
        }
        #expect(met == Array(repeating: true, count: width))
    }
}
