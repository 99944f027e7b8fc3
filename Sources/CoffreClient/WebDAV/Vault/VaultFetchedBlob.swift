import CoffreProtocol

/// One blob fetched for a read, received straight from the socket into memory of its own, so
/// it can be opened where it lies — on another thread — with no copy. Room for the largest
/// blob; each fetch is bounded by what its chunk's plaintext length allows. Reused from chunk
/// to chunk (`VaultChunkOpener` keeps a few): its pages are touched once, not faulted in anew
/// for every chunk.
///
/// `@unchecked Sendable`: one holder at a time. The bytes and `count` are written only by
/// `fill`, which completes before the object is handed to anyone else; after that they are
/// only read, until the holder gives the object back to the pool, which hands it to the next
/// fill only then.
final class VaultFetchedBlob: @unchecked Sendable {
    /// The largest blob a chunk can have.
    static let capacity = ChunkCipher.maximumBlobByteCount

    private let storage: UnsafeMutableRawBufferPointer
    private var count = 0

    /// Room for a blob of at most `capacity` bytes.
    init(capacity: Int = VaultFetchedBlob.capacity) {
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        storage.deallocate()
    }

    /// Fetches blob `id` from `remote`, replacing what was held; a blob larger than `limit`
    /// (at most the capacity) is refused as it shows (`PipelineError.blobTooLarge`).
    func fill(_ id: BlobID, limit: Int, from remote: any SyncRemote) async throws {
        count = 0
        var buffer = BlobFetchBuffer(storage: UnsafeMutableRawBufferPointer(rebasing: storage[..<min(limit, storage.count)]), chunkIndex: 0)
        try await remote.getBlob(id, into: &buffer)
        count = buffer.count
    }

    /// Calls `body` with the blob's bytes, which must not escape it (the object, and so the
    /// memory, is alive for the whole call).
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[..<count]))
    }
}
