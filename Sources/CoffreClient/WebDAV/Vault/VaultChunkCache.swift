import Synchronization

/// Decrypted chunks recently read, by blob id, bounded in bytes (oldest out first): a client
/// reading a file in small ranges fetches and opens each chunk once. Plaintext, in this
/// process's memory only, like the keys.
final class VaultChunkCache: Sendable {
    private struct State {
        var chunks: [[UInt8]: [UInt8]] = [:]
        var order: [[UInt8]] = []
        var bytes = 0
    }

    private let capacity: Int
    private let state = Mutex(State())

    /// A cache holding at most `capacity` bytes of plaintext.
    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The plaintext of blob `id`, if held.
    func chunk(_ id: [UInt8]) -> [UInt8]? {
        state.withLock { $0.chunks[id] }
    }

    /// Keeps `plaintext` for blob `id` (not when larger than a quarter of the capacity).
    func keep(_ plaintext: [UInt8], for id: [UInt8]) {
        guard plaintext.count <= capacity / 4 else { return }
        let capacity = capacity
        state.withLock { state in
            guard state.chunks[id] == nil else { return }
            while state.bytes + plaintext.count > capacity, !state.order.isEmpty {
                let oldest = state.order.removeFirst()
                state.bytes -= state.chunks.removeValue(forKey: oldest)?.count ?? 0
            }
            state.chunks[id] = plaintext
            state.order.append(id)
            state.bytes += plaintext.count
        }
    }
}
