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

/// An upload that can take the body in memory of its own: the body is read straight into its
/// buffers (`HTTPRequestBody.fill`) and written from them, without the copy that `write` makes.
/// The disk store's direct-I/O uploads are (their buffers are aligned for O_DIRECT).
public protocol FillableBlobUpload: BlobUpload {
    /// Buffers of one size (at least two) for the body to be read into in turn; nil when this
    /// upload takes its bytes through `write` only.
    func fillBuffers() throws(BlobStoreError) -> [BlobFillBuffer]?

    /// Takes the first `count` bytes of `buffer`, one of `fillBuffers`, as the blob's next
    /// bytes, with `write`'s checks and errors. Every call but the `last` must bring a full
    /// buffer. The buffer may be filled again once this returns.
    func writeFilled(_ buffer: BlobFillBuffer, count: Int, last: Bool) throws(BlobStoreError)
}

/// One of a `FillableBlobUpload`'s buffers.
///
/// `@unchecked Sendable`: its memory belongs to the upload, which outlives every use, and has
/// one user at a time — a body fill while the uploading task waits for it, then the
/// `writeFilled` that the task waits for; the task fills a buffer again only after the write of
/// its previous bytes returned (`BlobLayer.fill`).
public struct BlobFillBuffer: @unchecked Sendable {
    /// The buffer's memory.
    public let memory: UnsafeMutableRawBufferPointer
}
