import CoffreProtocol
import HTTPServer
import Synchronization

/// The bytes of recently read small blobs, for the blob GET's fast lanes: a hit answers on the
/// event loop with no task, no blocking-queue hop and no openat(2). Each blob is kept as the
/// whole blob's 200 prepared once (`HTTPPreparedResponse`: status line, fields, body), which
/// the lean fast lane (`BlobFastLane`) sends with only the Date line added.
///
/// Bounded: a blob of at most `maxBlobBytes` is kept, at most `capacity` blobs and `maxBytes`
/// bytes in all (by default 16 KiB, 4,096 blobs, 16 MiB); inserting into a full cache evicts
/// arbitrary entries until there is room. Keyed by vault *and* blob: a blob is cached only for
/// the vault it was read from, so the fast lane never answers for another vault's copy.
///
/// A blob's bytes never change (content addressing), but a blob can disappear: garbage
/// collection and vault deletion call `forget…` after deleting files and before they return.
/// A read that opened the file before such a deletion cannot store its bytes afterwards: each
/// `forget` bumps a generation, and `insert` stores only when the generation it was given (read
/// before the file was opened) is still current — the scheme of `VaultReaderCache`.
final class SmallBlobCache: Sendable {
    /// Largest blob kept; the HTTP connection sends bodies up to this size with the head.
    static let maxBlobBytes = 16 * 1024

    private struct Key: Hashable {
        let vault: VaultID
        let blob: BlobID
    }

    private struct State: ~Copyable {
        var blobs: [Key: HTTPPreparedResponse] = [:]
        var bytes = 0
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Most blobs kept at once.
    let capacity: Int
    /// Most blob bytes kept at once (not counting the prepared heads, about 250 bytes per blob
    /// and so bounded by `capacity`, nor the dictionary's own memory).
    let maxBytes: Int

    init(capacity: Int = 4_096, maxBytes: Int = 16 << 20) {
        self.capacity = max(1, capacity)
        self.maxBytes = max(Self.maxBlobBytes, maxBytes)
    }

    /// The current generation, to pass to `insert` for bytes read after this call.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Blobs and bytes kept now.
    var usage: (blobs: Int, bytes: Int) { state.withLock { ($0.blobs.count, $0.bytes) } }

    /// The bytes of `blob` as read from `vault`, if kept.
    func bytes(of blob: BlobID, in vault: VaultID) -> [UInt8]? {
        response(of: blob, in: vault)?.body
    }

    /// The prepared 200 of `blob` as read from `vault`, if kept.
    func response(of blob: BlobID, in vault: VaultID) -> HTTPPreparedResponse? {
        let key = Key(vault: vault, blob: blob)
        return state.withLock { $0.blobs[key] }
    }

    /// Keeps `bytes` as `blob` of `vault`, unless they are too large or something was forgotten
    /// since `generation` was read.
    func insert(_ bytes: [UInt8], as blob: BlobID, in vault: VaultID, generation: UInt64) {
        guard bytes.count <= Self.maxBlobBytes else { return }
        let key = Key(vault: vault, blob: blob)
        let prepared = HTTPPreparedResponse(status: .ok, headerFields: SyncAPI.wholeBlobFields(blob), body: bytes)
        let size = Self.size(of: prepared)
        state.withLock { state in
            guard state.generation == generation, state.blobs[key] == nil else { return }
            while !state.blobs.isEmpty && (state.blobs.count >= capacity || state.bytes + size > maxBytes) {
                let evicted = state.blobs.remove(at: state.blobs.startIndex)
                state.bytes -= Self.size(of: evicted.value)
            }
            state.blobs[key] = prepared
            state.bytes += size
        }
    }

    /// Forgets these blobs of `vault` (deleted by garbage collection).
    func forget(_ blobs: some Sequence<BlobID>, in vault: VaultID) {
        let keys = blobs.map { Key(vault: vault, blob: $0) }
        state.withLock { state in
            state.generation &+= 1
            for key in keys {
                if let removed = state.blobs.removeValue(forKey: key) { state.bytes -= Self.size(of: removed) }
            }
        }
    }

    /// Forgets every blob of `vault` (deleted).
    func forget(vault: VaultID) {
        state.withLock { state in
            state.generation &+= 1
            state.blobs = state.blobs.filter { $0.key.vault != vault }
            state.bytes = state.blobs.values.reduce(0) { $0 + Self.size(of: $1) }
        }
    }

    /// What one kept blob counts against `maxBytes`: its bytes.
    private static func size(of prepared: HTTPPreparedResponse) -> Int {
        prepared.body.count
    }
}
