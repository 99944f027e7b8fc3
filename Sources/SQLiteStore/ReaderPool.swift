import Dispatch
import Synchronization

/// A read-only connection together with the serial queue it is used on.
///
/// `@unchecked Sendable` rule: `connection` is touched only inside blocks running on `queue`,
/// and only by the one holder `ReaderPool` lent the reader to, until it is given back.
final class PooledReader: @unchecked Sendable {
    let connection: Connection
    let queue: DispatchQueue
    let index: Int

    init(connection: Connection, queue: DispatchQueue, index: Int) {
        self.connection = connection
        self.queue = queue
        self.index = index
    }
}

/// Lends a fixed set of readers, one holder each, first come first served.
///
/// Waiting never blocks a thread inside the pool: a caller without a free reader leaves a
/// callback that the next `giveBack` runs. The blocking form (`borrowBlocking`) is for
/// synchronous callers only.
final class ReaderPool: Sendable {
    private struct State {
        var free: [Int]
        var waiters: [@Sendable (PooledReader) -> Void] = []
    }

    private let readers: [PooledReader]
    private let state: Mutex<State>

    init(readers: [PooledReader]) {
        self.readers = readers
        self.state = Mutex(State(free: readers.map(\.index).reversed()))
    }

    /// Calls `handler` with a reader now if one is free, or later, when one is given back.
    /// `handler` must return the reader with `giveBack` once done with it.
    func borrow(_ handler: @escaping @Sendable (PooledReader) -> Void) {
        let index: Int? = state.withLock { state in
            if let index = state.free.popLast() { return index }
            state.waiters.append(handler)
            return nil
        }
        if let index { handler(readers[index]) }
    }

    /// Blocks the calling thread until a reader is free. Never call from a Swift concurrency task.
    func borrowBlocking() -> PooledReader {
        let handoff = ReaderHandoff()
        borrow { reader in handoff.deliver(reader) }
        return handoff.wait()
    }

    /// Returns a reader: it goes to the oldest waiter, or back to the free list.
    func giveBack(_ reader: PooledReader) {
        let waiter: (@Sendable (PooledReader) -> Void)? = state.withLock { state in
            if state.waiters.isEmpty {
                state.free.append(reader.index)
                return nil
            }
            return state.waiters.removeFirst()
        }
        // Run outside the lock: the waiter may borrow or give back in turn.
        waiter?(reader)
    }
}

/// Carries one reader from the thread that frees it to a thread blocked in `borrowBlocking`.
private final class ReaderHandoff: Sendable {
    private let reader = Mutex<PooledReader?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    func deliver(_ delivered: PooledReader) {
        reader.withLock { $0 = delivered }
        ready.signal()
    }

    func wait() -> PooledReader {
        ready.wait()
        // deliver stored the reader before signalling, so it is present here.
        return reader.withLock { $0.take()! }
    }
}
