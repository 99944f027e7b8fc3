import CoffreProtocol

/// One blob fetched for a read, received straight from the socket into memory of its own
/// (sized for the largest blob the chunk's plaintext length allows), so it can be opened
/// where it lies — on another thread — with no copy; the memory is freed with the object.
///
/// `@unchecked Sendable`: the bytes and `count` are written only by `fill`, which completes
/// before the object is handed to anyone else; after that they are only read.
final class VaultFetchedBlob: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer
    private var count = 0

    /// Room for a blob of at most `capacity` bytes.
    init(capacity: Int) {
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        storage.deallocate()
    }

    /// Fetches blob `id` from `remote`; a blob larger than the capacity is refused as it
    /// shows (`PipelineError.blobTooLarge`).
    func fill(_ id: BlobID, from remote: any SyncRemote) async throws {
        var buffer = BlobFetchBuffer(storage: storage, chunkIndex: 0)
        try await remote.getBlob(id, into: &buffer)
        count = buffer.count
    }

    /// Calls `body` with the blob's bytes, which must not escape it (the object, and so the
    /// memory, is alive for the whole call).
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[..<count]))
    }
}
