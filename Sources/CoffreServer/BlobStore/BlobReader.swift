/// An open, stored blob: its size and positional reads.
///
/// The bytes read are those of the blob as it was when opened; a blob deleted meanwhile
/// stays readable until the reader is released.
public protocol BlobReader: AnyObject, Sendable {
    /// Size of the blob in bytes.
    var size: Int64 { get }

    /// An open file descriptor of the blob, for `sendfile(2)`, valid as long as this reader
    /// lives; nil when the backend has none. Reading it bypasses the size check of `read`,
    /// so stop at `size` and treat an early end of file as `sizeMismatch`.
    var fileDescriptor: Int32? { get }

    /// Reads up to `buffer.count` bytes starting at `offset` and returns how many were read:
    /// fewer only at the end of the blob, 0 at or past it. Throws `sizeMismatch` when the
    /// stored data ends before `size`.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(BlobStoreError) -> Int
}
