import CSystemShims
import Foundation

/// The single-blob PUT sequence with raw system calls: write 4 MiB in 1 MiB pieces (as
/// BlobLayer.stream hands them over), flush the file, rename it into a fan-out directory that
/// exists, fsync that directory. MB/s of 8 uploaders, 8 blobs each.
enum RawPutBench {
    struct Variant {
        let name: String
        /// Bytes between sync_file_range(SYNC_FILE_RANGE_WRITE) calls; 0 for none.
        let writeback: Int
        /// Also wait for the range before the previous one (SYNC_FILE_RANGE_WAIT_BEFORE).
        let waitBefore: Bool
        let dataOnly: Bool
    }

    static let variants = [
        Variant(name: "fsync (now)", writeback: 0, waitBefore: false, dataOnly: false),
        Variant(name: "fdatasync", writeback: 0, waitBefore: false, dataOnly: true),
        Variant(name: "sync_file_range 1 MiB + fsync", writeback: 1 << 20, waitBefore: false, dataOnly: false),
        Variant(name: "sync_file_range 2 MiB + fsync", writeback: 2 << 20, waitBefore: false, dataOnly: false),
        Variant(name: "sync_file_range 1 MiB wait-before + fsync", writeback: 1 << 20, waitBefore: true, dataOnly: false),
        Variant(name: "sync_file_range 1 MiB + fdatasync", writeback: 1 << 20, waitBefore: false, dataOnly: true),
    ]
    static let threads = 8
    static let blobsPerThread = 8
    static let blobSize = 4 << 20
    static let piece = 1 << 20

    static func round(in directory: String, round: Int) -> [(String, Double)] {
        let order = round % 2 == 0 ? variants.reversed() : variants
        return order.map { variant in
            let root = directory + "/put-\(round)-\(variant.writeback)-\(variant.waitBefore)-\(variant.dataOnly)"
            mkdir(root, 0o700)
            let leaf = root + "/leaf"
            mkdir(leaf, 0o700)
            sync()
            let data = [UInt8](repeating: UInt8(truncatingIfNeeded: round), count: piece)
            let seconds = Parallel.time(threads: threads) { thread in
                let leafFD = open(leaf, O_RDONLY | O_DIRECTORY)
                defer { close(leafFD) }
                for blob in 0..<blobsPerThread {
                    let temp = root + "/t-\(thread)-\(blob)"
                    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL, 0o600)
                    precondition(fd >= 0, "open")
                    var written = 0
                    var started = 0
                    var previous = 0
                    while written < blobSize {
                        data.withUnsafeBytes { precondition(write(fd, $0.baseAddress, piece) == piece, "write") }
                        written += piece
                        if variant.writeback > 0, written - started >= variant.writeback {
                            if variant.waitBefore, started > previous {
                                _ = coffre_sync_file_range(fd, Int64(previous), Int64(started - previous), COFFRE_SYNC_FILE_RANGE_WAIT_BEFORE)
                            }
                            _ = coffre_sync_file_range(fd, Int64(started), Int64(written - started), COFFRE_SYNC_FILE_RANGE_WRITE)
                            previous = started
                            started = written
                        }
                    }
                    precondition((variant.dataOnly ? fdatasync(fd) : fsync(fd)) == 0, "sync")
                    close(fd)
                    precondition(rename(temp, leaf + "/b-\(thread)-\(blob)") == 0, "rename")
                    precondition(fsync(leafFD) == 0, "fsync dir")
                }
            }
            return (variant.name, Double(threads * blobsPerThread * blobSize) / seconds / 1e6)
        }
    }
}

/// Runs `body(thread)` on `threads` threads of their own and returns the wall time in seconds.
enum Parallel {
    static func time(threads: Int, _ body: @escaping @Sendable (Int) -> Void) -> Double {
        let group = DispatchGroup()
        let start = DispatchTime.now().uptimeNanoseconds
        for index in 0..<threads {
            group.enter()
            Thread.detachNewThread {
                body(index)
                group.leave()
            }
        }
        group.wait()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
