@testable import CoffreServer
import Dispatch
import Glibc
import Synchronization
import Testing

/// Work put on a serial queue when made (`QueuedWrite`): it runs in the order it was made,
/// and awaiting it gives its outcome, again on a later call.
@Suite struct QueuedWriteTests {
    struct Refused: Error, Equatable {}

    @Test func writesRunInTheOrderTheyWereMadeAndReportTheirOutcome() async throws {
        let queue = DispatchQueue(label: "test.queued-writes")
        let order = Mutex<[Int]>([])
        // The first one sleeps: had they been tasks, the later ones could have reached the queue first.
        let writes = (0..<50).map { index in
            QueuedWrite(on: queue) {
                if index == 0 { usleep(20_000) }
                order.withLock { $0.append(index) }
                if index == 7 { throw Refused() }
            }
        }
        for (index, write) in writes.enumerated().reversed() {
            if index == 7 {
                await #expect(throws: Refused.self) { try await write.value() }
                await #expect(throws: Refused.self) { try await write.value() }
            } else {
                try await write.value()
            }
        }
        #expect(order.withLock { $0 } == Array(0..<50))
    }
}
