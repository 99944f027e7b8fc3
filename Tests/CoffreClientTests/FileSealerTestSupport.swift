@testable import CoffreClient
import CoffreCrypto
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Keys, helpers and fakes shared by the FileSealer and FileOpener tests.
enum PipelineFixtures {
    /// A fixed convergence key, so manifests can be compared across sealers.
    static let convergenceKey = SecretBytes(copying: (0..<32).map { UInt8(0x40 + $0) })

    static func cipher() -> ChunkCipher { ChunkCipher(convergenceKey: convergenceKey) }

    static func chunker(parameters: ChunkingParameters = .production) throws -> Chunker {
        try Chunker(key: ChunkerFixtures.key, parameters: parameters)
    }

    /// What one seal produced: the result and every blob the sink saw, in the order seen.
    struct Sealed: Sendable {
        let file: SealedFile
        let blobs: [[UInt8]]
        let indices: [Int]
        let offsets: [UInt64]
        var ids: [[UInt8]] { file.chunks.map(\.blobID) }
    }

    /// Seals `data` (read in uneven pieces) and collects every blob.
    static func seal(_ data: [UInt8], with sealer: FileSealer, readSizes: [Int] = [1 << 20]) async throws -> Sealed {
        var blobs: [[UInt8]] = [], indices: [Int] = [], offsets: [UInt64] = []
        let file = try await sealer.seal(ScriptedByteSource(data: data, readSizes: readSizes)) { blob in
            blobs.append(blob.copyBytes())
            indices.append(blob.index)
            offsets.append(blob.plaintextOffset)
        }
        return Sealed(file: file, blobs: blobs, indices: indices, offsets: offsets)
    }

    /// The chunks and blobs of `data` computed without the pipeline: the in-memory chunker,
    /// then `ChunkCipher.seal` (checked against docs/format.md's vectors) on each chunk.
    static func referenceSeal(_ data: [UInt8], chunker: Chunker) throws -> [SealedChunk] {
        let cuts = chunker.cutPoints(in: data)
        return try zip([0] + cuts, cuts).map { start, end in try cipher().seal(Array(data[start..<end])) }
    }

    /// Blobs by id, as a server would keep them.
    static func store(_ sealed: Sealed) -> [[UInt8]: [UInt8]] {
        Dictionary(zip(sealed.ids, sealed.blobs), uniquingKeysWith: { first, _ in first })
    }

    /// `FileOpener.Fetch`, but shareable with the tasks and guards of a test.
    typealias Fetch = @Sendable (_ blobID: [UInt8], _ buffer: inout BlobFetchBuffer) async throws -> Void

    /// A fetcher that serves `store` and throws `MissingBlob` for anything else.
    static func fetcher(_ store: [[UInt8]: [UInt8]]) -> Fetch {
        { id, buffer in
            guard let blob = store[id] else { throw MissingBlob() }
            try buffer.append(blob)
        }
    }

    struct MissingBlob: Error, Equatable {}
}

/// A directory under the system temp dir, removed when the test is done with it.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-pipeline-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Opens (creating, truncating) a file for reading and writing; the caller closes it.
    func openFile(_ name: String) throws -> Int32 {
        let fd = Glibc.open(url.appendingPathComponent(name).path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return fd
    }

    /// The whole content of an open file, read with pread from offset 0.
    static func contents(of fd: Int32) throws -> [UInt8] {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw POSIXError(.EIO) }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count == bytes.count else { throw POSIXError(.EIO) }
        return bytes
    }
}

/// An endless pseudo-random source, for tests that must stop a run from outside.
struct EndlessByteSource: ByteSource {
    private var state: UInt64 = 1

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let words = buffer.count / 8
        for i in 0..<words {
            state &+= 0x9E37_79B9_7F4A_7C15
            buffer.storeBytes(of: state ^ (state >> 29), toByteOffset: i * 8, as: UInt64.self)
        }
        return words * 8
    }
}

struct TimedOut: Error {}

/// Resumes a continuation at most once, from whichever task gets there first.
final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(with result: Result<T, any Error>) {
        continuation.withLock { $0.take() }?.resume(with: result)
    }
}

/// Runs `operation` and fails with `TimedOut` if it has not finished after `seconds` — a guard
/// against hangs, not a speed check (generous: a loaded two-core machine has run these ten
/// times slower than a quiet one). A hung operation is left behind rather than awaited.
func withTimeout<T: Sendable>(
    seconds: Int = 300, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let once = ResumeOnce(continuation)
        let timer = Task {
            try? await Task.sleep(for: .seconds(seconds))
            if !Task.isCancelled { once.resume(with: .failure(TimedOut())) }
        }
        Task {
            let result: Result<T, any Error>
            do { result = .success(try await operation()) } catch { result = .failure(error) }
            once.resume(with: result)
            timer.cancel()
        }
    }
}
