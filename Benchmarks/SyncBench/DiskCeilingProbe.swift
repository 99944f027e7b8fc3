import CSystemShims
import Foundation
import Glibc

/// The disk's own durable write rate for the PUT rounds' shape, measured in the same round as
/// coffred and nginx: `parallelWriters` threads, each writing whole 4 MiB files with direct I/O,
/// `fdatasync`, then renaming the file into place and fsyncing the folder — what a durable
/// blob PUT must do at least, without HTTP, hashing or a database. coffred's PUT cannot beat
/// this figure; nginx's DAV PUT (no fsync) is not bound by it, which is why the ratio of the two
/// servers alone does not say how close coffred is to what the machine allows.
struct DiskCeilingProbe {
    /// A folder on the file system coffred's data lives on (the bench's temp dir).
    let folder: String
    let parallelWriters: Int

    /// MB/s (10^6 bytes) for `files` files of `size` bytes (a multiple of 4 KiB).
    func measure(files: Int, size: Int) throws -> Double {
        precondition(size % 4096 == 0, "direct I/O needs whole blocks")
        guard mkdir(folder, 0o700) == 0 || errno == EEXIST else { throw BenchFailure("probe folder: \(String(cString: strerror(errno)))") }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let next = Shared(0)
        let failure = Shared<String?>(nil)
        let done = DispatchGroup()
        let start = ContinuousClock.now
        // Threads, not tasks: every step blocks in the kernel, and the cooperative pool has one
        // thread per core, so tasks would not keep `parallelWriters` writes in flight.
        for writer in 0..<parallelWriters {
            done.enter()
            let thread = Thread { [folder] in
                defer { done.leave() }
                do {
                    try Self.write(into: folder, writer: writer, size: size) {
                        next.update { value -> Int? in
                            defer { value += 1 }
                            return value < files ? value : nil
                        }
                    }
                } catch {
                    failure.update { $0 = $0 ?? "\(error)" }
                }
            }
            thread.start()
        }
        done.wait()
        if let message = failure.current { throw BenchFailure(message) }
        return Double(files * size) / seconds(since: start) / 1e6
    }

    /// One writer's loop: takes file numbers from `take` until it answers nil.
    private static func write(into folder: String, writer: Int, size: Int, take: () -> Int?) throws {
        func check(_ result: Int32, _ step: String) throws {
            if result < 0 { throw BenchFailure("probe \(step): \(String(cString: strerror(errno)))") }
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 4096, size) == 0, let buffer = raw else { throw BenchFailure("probe: no aligned buffer") }
        defer { free(buffer) }
        // Random-looking bytes, as the blobs are (encrypted): nothing for the device to compress.
        var state = UInt64(writer) &* 0x9E37_79B9_7F4A_7C15 | 1
        TransferBench.fill(UnsafeMutableRawBufferPointer(start: buffer, count: size), state: &state)
        let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try check(directory, "open folder")
        defer { close(directory) }
        while let number = take() {
            let temporary = "\(folder)/\(number).tmp"
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | COFFRE_O_DIRECT, 0o600)
            try check(descriptor, "open")
            var offset = 0
            while offset < size {
                let written = pwrite(descriptor, buffer + offset, size - offset, off_t(offset))
                if written < 0, errno == EINTR { continue }
                if written < 0 { close(descriptor) }
                try check(Int32(clamping: written), "write")
                offset += written
            }
            try check(fdatasync(descriptor), "fdatasync")
            try check(close(descriptor), "close")
            try check(rename(temporary, "\(folder)/\(number)"), "rename")
            try check(fsync(directory), "fsync folder")
            // The files are not kept: the next round must not find the disk fuller.
            try check(unlink("\(folder)/\(number)"), "unlink")
        }
    }
}
