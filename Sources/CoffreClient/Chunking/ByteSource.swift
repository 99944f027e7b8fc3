#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Where the streaming chunker reads its input from: a file, a pipe, a decrypting stream...
public protocol ByteSource {
    /// Reads at most `buffer.count` bytes into `buffer` (never empty) and returns how many it
    /// read. A short read is fine; 0 means the end of the input and is returned only there.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Reads a blocking file descriptor with `read(2)`, retrying EINTR. The descriptor is borrowed:
/// whoever opened it closes it, after the last read.
public final class FileDescriptorByteSource: ByteSource {
    private let fileDescriptor: Int32
    /// Keeps a `FileHandle` (and so its descriptor) alive for as long as this source.
    private let handle: FileHandle?

    /// Reads `fileDescriptor`, which must stay open while this source is used.
    public init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
        self.handle = nil
    }

    /// Reads the descriptor of `fileHandle`, keeping the handle alive.
    public init(fileHandle: FileHandle) {
        self.fileDescriptor = fileHandle.fileDescriptor
        self.handle = fileHandle
    }

    /// One `read(2)` that is not interrupted; errors other than EINTR throw with their errno.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        while true {
            #if canImport(Glibc)
            let count = Glibc.read(fileDescriptor, base, buffer.count)
            #else
            let count = Darwin.read(fileDescriptor, base, buffer.count)
            #endif
            if count >= 0 { return count }
            let code = errno
            // read(2): EINTR means a signal arrived before any byte was read; retry.
            if code == EINTR { continue }
            // strerror is thread-safe for known errno values in glibc ≥ 2.32 (thread-local
            // buffer for unknown ones); the text names the error, never the file.
            throw ChunkingError.readFailed(errno: code, detail: String(cString: strerror(code)))
        }
    }
}

