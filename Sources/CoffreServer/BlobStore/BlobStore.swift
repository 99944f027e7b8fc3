import CoffreProtocol

/// A content-addressed store of opaque blobs, grouped in namespaces (one per vault).
///
/// Every blob is addressed by the SHA-256 of its bytes, and a store checks that on upload
/// before anything becomes visible (DESIGN §1, principle 2). A commit that returns is durable,
/// so callers record a blob in metadata only after its upload committed: blobs before metadata.
/// Backends: `DiskBlobStore` now, S3-compatible object storage later, so nothing here assumes a
/// file system. All methods block and may be called from any thread.
public protocol BlobStore: Sendable {
    /// Starts a streaming upload of blob `id` into `namespace`. `expectedSize`, when known,
    /// is checked against the store's limit and free space now and against the bytes at commit.
    /// Throws `tooLarge`, `diskFull` or an I/O error.
    func beginUpload(namespace: BlobNamespace, id: BlobID, expectedSize: Int64?) throws(BlobStoreError) -> any BlobUpload

    /// Size and time of a stored blob, or nil when the namespace does not hold it.
    func info(namespace: BlobNamespace, id: BlobID) throws(BlobStoreError) -> BlobInfo?

    /// Opens a stored blob for reading; throws `notFound` when the namespace does not hold it.
    func open(namespace: BlobNamespace, id: BlobID) throws(BlobStoreError) -> any BlobReader

    /// Deletes a blob durably; returns false when there was nothing to delete.
    func delete(namespace: BlobNamespace, id: BlobID) throws(BlobStoreError) -> Bool

    /// Deletes a namespace and every blob in it; returns false when it did not exist.
    /// Stop uploads into the namespace first: one that commits meanwhile may fail or survive.
    func deleteNamespace(_ namespace: BlobNamespace) throws(BlobStoreError) -> Bool

    /// Lists the namespaces that exist, lazily.
    func namespaces() throws(BlobStoreError) -> any BlobListing<BlobNamespace>

    /// Lists the blobs of one namespace, lazily, in no particular order; empty when the
    /// namespace does not exist. Blobs committed or deleted during the listing may or may not
    /// appear.
    func blobs(in namespace: BlobNamespace) throws(BlobStoreError) -> any BlobListing<BlobInfo>

    /// Re-reads a stored blob and checks that its bytes still hash to its id (scrub).
    /// Returns false when they do not or the blob is shorter than it claims; throws
    /// `notFound` when the blob is missing.
    func verify(namespace: BlobNamespace, id: BlobID) throws(BlobStoreError) -> Bool
}
