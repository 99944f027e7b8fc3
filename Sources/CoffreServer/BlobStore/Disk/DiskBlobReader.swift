import Glibc

/// A blob file opened for reading. Its size is taken from the open file once (fstat(2)), and
/// reads check the file against it: a file that ends early is reported, not passed on short.
final class DiskBlobReader: BlobReader {
    let size: Int64
    private let file: FileDescriptor

    /// Wraps an open blob file; throws when it is not a regular file.
    init(file: FileDescriptor) throws(BlobStoreError) {
        let status = try file.status(operation: "stat a blob")
        guard status.isRegularFile else { throw .io(operation: "open a blob", detail: "not a regular file") }
        self.file = file
        self.size = Int64(status.st_size)
    }

    var fileDescriptor: Int32? { file.raw }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(BlobStoreError) -> Int {
        guard offset >= 0 else { throw .io(operation: "read a blob", detail: "negative offset") }
        guard offset < size else { return 0 }
        // Never past `size`, even if the file grew: the blob is what was opened.
        let wanted = Int(min(Int64(buffer.count), size - offset))
        var done = 0
        while done < wanted {
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[done..<wanted])
            let got = try file.read(into: slice, at: offset + Int64(done), operation: "read a blob")
            guard got > 0 else { throw .sizeMismatch(expected: size, actual: offset + Int64(done)) }
            done += got
        }
        return done
    }
}
