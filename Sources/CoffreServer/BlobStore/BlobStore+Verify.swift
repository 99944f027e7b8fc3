import CoffreCrypto
import CoffreProtocol

extension BlobStore {
    /// Re-hashes the blob through `open` and positional reads, one 1 MiB buffer at a time.
    /// Backends that can hash closer to the data may replace it.
    public func verify(namespace: BlobNamespace, id: BlobID) throws(BlobStoreError) -> Bool {
        let reader = try open(namespace: namespace, id: id)
        let hasher: SHA256
        do { hasher = try SHA256() } catch { throw .io(operation: "start SHA-256", detail: error.description) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while offset < reader.size {
            let count: Int
            do {
                count = try reader.read(into: buffer, at: offset)
            } catch .sizeMismatch {
                return false
            }
            do {
                try hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            } catch { throw .io(operation: "SHA-256 update", detail: error.description) }
            offset += Int64(count)
        }
        let digest: [UInt8]
        do { digest = try hasher.finalize() } catch { throw .io(operation: "SHA-256 final", detail: error.description) }
        return digest == id.bytes
    }
}
