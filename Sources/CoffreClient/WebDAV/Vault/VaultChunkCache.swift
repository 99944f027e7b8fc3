import CoffreCrypto
import Synchronization

/// Decrypted chunks recently read, bounded in bytes (oldest out first): a client reading a
/// file in small ranges fetches and opens each chunk once. Plaintext, in this process's memory
/// only, like the keys.
///
/// Found by blob id, but given out only to a reference with the same chunk key and length as
/// the one it was opened under. Reads do not check blob ids (`ChunkCipher.openCommitted`), so
/// an id alone proves nothing about the plaintext kept under it: a member's manifest may pair
/// another chunk's id with its own key, and a server in league with it may serve that blob
/// under that id. The key does prove it: the plaintext kept was checked to have
/// `HMAC(convergence, plaintext) = chunkKey` (docs/threat-model.md, "Why a read need not hash
/// the blob").
final class VaultChunkCache: Sendable {
    private struct Opened {
        let key: SecretBytes
        let plaintext: [UInt8]
    }

    private struct State {
        var chunks: [[UInt8]: Opened] = [:]
        var order: [[UInt8]] = []
        var bytes = 0
    }

    private let capacity: Int
    private let state = Mutex(State())

    /// A cache holding at most `capacity` bytes of plaintext.
    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The plaintext `reference` names, if held: kept under its blob id, opened under its key,
    /// of its length.
    func chunk(for reference: ChunkReference) -> [UInt8]? {
        guard let opened = state.withLock({ $0.chunks[reference.blobID] }),
            opened.plaintext.count == Int(reference.length), ConstantTime.equals(opened.key, reference.key)
        else { return nil }
        return opened.plaintext
    }

    /// Keeps `plaintext`, opened and checked under `reference` (not when larger than a quarter
    /// of the capacity). A chunk already kept under the same blob id is replaced.
    func keep(_ plaintext: [UInt8], for reference: ChunkReference) {
        guard plaintext.count <= capacity / 4 else { return }
        let capacity = capacity
        let id = reference.blobID
        let opened = Opened(key: reference.key, plaintext: plaintext)
        state.withLock { state in
            if let replaced = state.chunks.removeValue(forKey: id) {
                state.bytes -= replaced.plaintext.count
                state.order.removeAll { $0 == id }
            }
            while state.bytes + plaintext.count > capacity, !state.order.isEmpty {
                let oldest = state.order.removeFirst()
                state.bytes -= state.chunks.removeValue(forKey: oldest)?.plaintext.count ?? 0
            }
            state.chunks[id] = opened
            state.order.append(id)
            state.bytes += plaintext.count
        }
    }
}
