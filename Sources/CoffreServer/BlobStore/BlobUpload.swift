/// One blob being uploaded: bytes are streamed in with `write`, then `commit` publishes the
/// blob or `abort` discards it.
///
/// Nothing is visible to readers before `commit` returns. An upload released without a
/// commit discards what it received. Calls must not overlap (one writer streams one body),
/// but they may come from different threads one after the other.
public protocol BlobUpload: AnyObject, Sendable {
    /// Appends bytes to the blob. Throws `tooLarge` or `sizeMismatch` as soon as the bytes
    /// exceed the store's limit or the expected size, `diskFull` when space runs out; after
    /// any error the upload is closed and its partial data gone.
    func write(_ bytes: UnsafeRawBufferPointer) throws(BlobStoreError)

    /// Checks the size (when one was expected) and the SHA-256 of everything written against
    /// the id, and only then publishes the blob durably. If the blob already exists it is kept
    /// as is and this succeeds. Throws `sizeMismatch` or `hashMismatch` without publishing.
    func commit() throws(BlobStoreError) -> BlobInfo

    /// Discards the upload. Harmless after commit or a failure.
    func abort()
}
