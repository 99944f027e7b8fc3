/// A lazy, forward-only listing of a store's namespaces or blobs.
///
/// It holds only a cursor, never the whole list, so a namespace of millions of blobs can be
/// walked for scrub and garbage collection in constant memory. Use it from one thread.
public protocol BlobListing<Element>: AnyObject {
    /// What the listing yields.
    associatedtype Element

    /// The next element, or nil at the end.
    func next() throws(BlobStoreError) -> Element?
}
