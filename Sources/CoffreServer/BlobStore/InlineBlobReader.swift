/// A blob whose bytes the metadata database holds (docs/storage-blobs.md, "Two homes"), read
/// from memory: at most the inline threshold, already loaded when the reader is made.
final class InlineBlobReader: BlobReader {
    /// The blob's bytes.
    let bytes: [UInt8]

    /// A reader over `bytes`.
    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    var size: Int64 { Int64(bytes.count) }

    /// None: the bytes are in memory, not in a file.
    var fileDescriptor: Int32? { nil }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(BlobStoreError) -> Int {
        guard offset >= 0 else { throw .io(operation: "read a blob", detail: "negative offset") }
        guard offset < size else { return 0 }
        let start = Int(offset)
        let count = min(buffer.count, bytes.count - start)
        bytes.withUnsafeBytes { source in
            UnsafeMutableRawBufferPointer(rebasing: buffer[..<count])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<(start + count)]))
        }
        return count
    }
}
