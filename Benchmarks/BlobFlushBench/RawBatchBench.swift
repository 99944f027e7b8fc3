import Foundation
import CSystemShims
import Glibc

/// DiskBlobBatch.publish's sequence for many small blobs, with raw system calls: each file
/// fsynced (16 at a time), renamed into one of 256 fan-out directories, each directory fsynced
/// (16 at a time); against syncfs(2) once before the renames and once after. Blobs per second.
enum RawBatchBench {
    /// BLOB_FLUSH_BENCH_BLOBS, 2,000 by default.
    static let blobs = Int(ProcessInfo.processInfo.environment["BLOB_FLUSH_BENCH_BLOBS"] ?? "") ?? 2_000
    static let blobSize = 4 << 10
    static let width = 16
    static let leaves = 256

    static func round(in directory: String, round: Int) -> [(String, Double)] {
        let variants = round % 2 == 0 ? [true, false] : [false, true]
        return variants.map { useSyncfs in
            let root = directory + "/batch-\(round)-\(useSyncfs)"
            mkdir(root, 0o700)
            for leaf in 0..<leaves { mkdir(root + "/\(leaf)", 0o700) }
            sync()
            let data = [UInt8](repeating: 7, count: blobSize)
            let start = DispatchTime.now().uptimeNanoseconds
            for blob in 0..<blobs {
                let fd = open(root + "/t\(blob)", O_WRONLY | O_CREAT | O_EXCL, 0o600)
                data.withUnsafeBytes { precondition(write(fd, $0.baseAddress, blobSize) == blobSize, "write") }
                close(fd)
            }
            let rootFD = open(root, O_RDONLY | O_DIRECTORY)
            defer { close(rootFD) }
            if useSyncfs {
                precondition(coffre_syncfs(rootFD) == 0, "syncfs")
            } else {
                concurrently(blobs) { blob in
                    let fd = open(root + "/t\(blob)", O_RDONLY)
                    precondition(fsync(fd) == 0, "fsync")
                    close(fd)
                }
            }
            for blob in 0..<blobs { precondition(rename(root + "/t\(blob)", root + "/\(blob % leaves)/b\(blob)") == 0, "rename") }
            if useSyncfs {
                precondition(coffre_syncfs(rootFD) == 0, "syncfs")
            } else {
                concurrently(leaves) { leaf in
                    let fd = open(root + "/\(leaf)", O_RDONLY | O_DIRECTORY)
                    precondition(fsync(fd) == 0, "fsync dir")
                    close(fd)
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            return (useSyncfs ? "syncfs ×2 (blobs/s)" : "fsync each, 16 at a time (now; blobs/s)", Double(blobs) / seconds)
        }
    }

    /// `body(0..<count)`, `width` threads taking the next index.
    static func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let next = NSLock()
        nonisolated(unsafe) var index = 0
        _ = Parallel.time(threads: width) { _ in
            while true {
                next.lock()
                let mine = index
                index += 1
                next.unlock()
                guard mine < count else { return }
                body(mine)
            }
        }
    }
}
