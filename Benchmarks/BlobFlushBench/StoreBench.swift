import CoffreCrypto
import CoffreProtocol
import CoffreServer
import Foundation

/// 8 threads × 8 uploads of 4 MiB through `DiskBlobStore`, written in 1 MiB pieces, into a
/// namespace new to the round. MB/s from the first beginUpload to the last commit.
enum StoreBench {
    static let threads = 8
    static let blobsPerThread = 8
    static let blobSize = 4 << 20
    static let piece = 1 << 20

    static func round(in directory: String, round: Int) -> [(String, Double)] {
        let store = try! DiskBlobStore(root: directory + "/store")
        // Distinct blobs per round: a 16-byte prefix (round, thread, blob) on one random body.
        var body = [UInt8](repeating: 0, count: blobSize)
        var generator = SystemRandomNumberGenerator()
        for index in body.indices { body[index] = generator.next() }
        var blobs: [[([UInt8], BlobID)]] = []
        for thread in 0..<threads {
            blobs.append((0..<blobsPerThread).map { blob in
                var bytes = body
                withUnsafeBytes(of: (Int64(round), Int32(thread), Int32(blob))) { bytes.replaceSubrange(0..<16, with: $0) }
                let hasher = try! SHA256()
                try! hasher.update(bytes)
                return (bytes, BlobID(bytes: try! hasher.finalize())!)
            })
        }
        let namespace = try! BlobNamespace("round\(round)")
        sync()
        let work = blobs
        let seconds = Parallel.time(threads: threads) { thread in
            for (bytes, id) in work[thread] {
                let upload = try! store.beginUpload(namespace: namespace, id: id, expectedSize: Int64(blobSize))
                bytes.withUnsafeBytes { all in
                    for offset in stride(from: 0, to: blobSize, by: piece) {
                        try! upload.write(UnsafeRawBufferPointer(rebasing: all[offset..<offset + piece]))
                    }
                }
                _ = try! upload.commit()
            }
        }
        _ = try! store.deleteNamespace(namespace)
        return [("DiskBlobStore PUT 4 MiB ×8 (MB/s)", Double(threads * blobsPerThread * blobSize) / seconds / 1e6)]
    }
}
