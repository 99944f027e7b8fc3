import CoffreCrypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The bench's input: `byteCount` random bytes in memory (an AES-256-GCM keystream over zeros
/// under a random key, several GB/s) and the same bytes in a temporary file, written once so
/// the page cache holds them. The file is removed when the input is released.
final class BenchInput {
    let bytes: UnsafeMutableRawBufferPointer
    let fileURL: URL

    init(byteCount: Int) throws {
        bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 64)
        bytes.initializeMemory(as: UInt8.self, repeating: 0)
        let cipher = try AES256GCM(key: try SecureRandom.bytes(count: 32))
        try cipher.beginSealing(nonce: try SecureRandom.bytes(count: 12), aad: UnsafeRawBufferPointer(start: nil, count: 0))
        try cipher.update(UnsafeRawBufferPointer(bytes), into: bytes)

        fileURL = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-crypto-bench-\(getpid())")
        let fd = open(fileURL.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BenchFailure("open(2) of the temporary input failed: errno \(errno)") }
        defer { close(fd) }
        var offset = 0
        while offset < byteCount {
            let written = write(fd, bytes.baseAddress! + offset, min(byteCount - offset, 64 << 20))
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw BenchFailure("write(2) of the temporary input failed: errno \(errno)") }
            offset += written
        }
    }

    deinit {
        unlink(fileURL.path)
        bytes.deallocate()
    }

    /// Opens the file for one read through; the caller closes it.
    func openFile() throws -> Int32 {
        let fd = open(fileURL.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BenchFailure("open(2) of the temporary input failed: errno \(errno)") }
        return fd
    }
}

/// Why the bench could not run.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
