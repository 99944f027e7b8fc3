import CSystemShims
import Glibc
import Synchronization

/// Owns one POSIX thread that runs a closure and can be joined (pthread_create(3)).
final class LoopThread: Sendable {
    private final class Entry {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// The thread until it was joined (Mutex: join may be called from any thread, once).
    private let thread = Mutex<pthread_t?>(nil)

    /// Starts a thread running `body`.
    init(name: String, body: @escaping @Sendable () -> Void) throws(HTTPServerError) {
        let entry = Unmanaged.passRetained(Entry {
            // Cosmetic (names the thread in ps/top/gdb); a failure changes nothing else.
            _ = coffre_set_thread_name(name)
            body()
        })
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            guard let argument else { return nil }
            let entry = Unmanaged<Entry>.fromOpaque(argument).takeRetainedValue()
            entry.body()
            return nil
        }, entry.toOpaque())
        guard result == 0 else {
            entry.release()
            throw SystemCall.error("pthread_create", code: result)
        }
        thread.withLock { $0 = handle }
    }

    /// Waits for the thread to finish (pthread_join(3)). Idempotent.
    func join() {
        guard let handle = thread.withLock({ state -> pthread_t? in
            defer { state = nil }
            return state
        }) else { return }
        // pthread_join fails only for an invalid or already joined handle, excluded above.
        _ = pthread_join(handle, nil)
    }
}
