extension BlobReader {
    /// Reads the whole blob into memory, for small blobs such as manifests. Throws `tooLarge`
    /// when the blob is larger than `maxBytes`, before allocating anything.
    public func readAll(maxBytes: Int) throws(BlobStoreError) -> [UInt8] {
        guard size <= Int64(maxBytes) else { throw .tooLarge(limit: Int64(maxBytes)) }
        let count = Int(size)
        var failure: BlobStoreError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            while initialized < count {
                do throws(BlobStoreError) {
                    let got = try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[initialized...]), at: Int64(initialized))
                    guard got > 0 else {
                        failure = .sizeMismatch(expected: size, actual: Int64(initialized))
                        return
                    }
                    initialized += got
                } catch {
                    failure = error
                    return
                }
            }
        }
        if let failure { throw failure }
        return bytes
    }
}
