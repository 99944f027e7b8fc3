import CSystemShims
import Glibc

/// Owns one POSIX thread that runs a closure and can be joined (pthread_create(3)).
final class LoopThread {
    private final class Entry {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private var thread: pthread_t?

    /// Starts a thread running `body`.
    init(name: String, body: @escaping @Sendable () -> Void) throws(HTTPServerError) {
        let entry = Unmanaged.passRetained(Entry {
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
        thread = handle
    }

    /// Waits for the thread to finish (pthread_join(3)). Idempotent.
    func join() {
        guard let handle = thread else { return }
        thread = nil
        _ = pthread_join(handle, nil)
    }
}
