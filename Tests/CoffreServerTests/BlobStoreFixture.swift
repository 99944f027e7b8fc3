import CoffreCrypto
import CoffreProtocol
import CoffreServer
import Foundation
import Testing

/// A store under test plus the few backend-specific hooks the shared conformance suite needs.
protocol BlobStoreFixture: Sendable {
    /// The store, fresh and empty.
    var store: any BlobStore { get }
    /// How many uploads have left data behind (temp files, multipart parts...).
    func pendingUploadCount() throws -> Int
    /// Changes one byte of a stored blob behind the store's back.
    func corrupt(namespace: BlobNamespace, id: BlobID) throws
}

/// Every `BlobStore` implementation the conformance suite runs against.
enum BlobStoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case disk

    var testDescription: String { rawValue }

    /// Runs `body` with a fresh store that accepts blobs up to `maxBlobSize`, then removes it.
    func withFixture(maxBlobSize: Int64 = 16 << 20, _ body: (any BlobStoreFixture) async throws -> Void) async throws {
        switch self {
        case .disk:
            let root = try TemporaryDirectory()
            let store = try DiskBlobStore(
                root: root.path, configuration: .init(maxBlobSize: maxBlobSize, freeSpaceReserve: 0))
            try await body(DiskBlobStoreFixture(root: root, disk: store))
        }
    }
}

/// The disk backend's hooks: it looks at the files directly.
struct DiskBlobStoreFixture: BlobStoreFixture {
    let root: TemporaryDirectory
    let disk: DiskBlobStore

    var store: any BlobStore { disk }

    func pendingUploadCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: root.path + "/tmp").filter {
            $0.hasPrefix("blob-upload-") || $0.hasPrefix("blob-deleting-")
        }.count
    }

    func corrupt(namespace: BlobNamespace, id: BlobID) throws {
        try DiskLayout.flipByte(in: DiskLayout.blobPath(root: root.path, namespace: namespace, id: id))
    }
}

/// A directory under the system's temp directory, removed with everything in it on release.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-blobs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Where `DiskBlobStore` puts things, and ways to tamper with them.
enum DiskLayout {
    static func blobPath(root: String, namespace: BlobNamespace, id: BlobID) -> String {
        let hex = id.hex
        return "\(root)/blobs/\(namespace.rawValue)/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))/\(hex)"
    }

    static func flipByte(in path: String) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try #require(size > 0)
        try handle.seek(toOffset: size / 2)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: size / 2)
        try handle.write(contentsOf: [byte ^ 0x01])
    }
}

/// Blob contents and uploads for tests.
enum TestBlob {
    /// Deterministic pseudo-random bytes (xorshift64*), different for each seed.
    static func bytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        // Plain while loops into a sized buffer: `stride` and `append` cost generic calls per
        // byte in debug builds, seconds of the test run's two shared threads for a few MiB.
        var out = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            var word = state &* 0x2545_F491_4F6C_DD1D
            let end = min(index + 8, count)
            while index < end {
                out[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return out
    }

    static func id(of bytes: [UInt8]) throws -> BlobID {
        try #require(BlobID(bytes: try SHA256.hash(bytes)))
    }

    /// Write sizes that never line up with buffers or pages.
    static let oddWriteSizes = [1, 4093, 7, 65_521, 300_007, 2]

    /// Streams `bytes` into `upload` in odd-sized writes.
    static func write(_ bytes: [UInt8], to upload: any BlobUpload) throws {
        var offset = 0
        var turn = 0
        try bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let count = min(oddWriteSizes[turn % oddWriteSizes.count], raw.count - offset)
                try upload.write(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + count]))
                offset += count
                turn += 1
            }
        }
    }

    /// Uploads and commits `bytes` under their own id, announcing the size unless told not to.
    @discardableResult
    static func put(
        _ bytes: [UInt8], into store: any BlobStore, namespace: BlobNamespace, announceSize: Bool = true
    ) throws -> BlobInfo {
        let upload = try store.beginUpload(
            namespace: namespace, id: try id(of: bytes), expectedSize: announceSize ? Int64(bytes.count) : nil)
        try write(bytes, to: upload)
        return try upload.commit()
    }

    /// Every element of a listing, refusing to loop forever.
    static func collect<Element>(_ listing: any BlobListing<Element>, limit: Int = 10_000) throws -> [Element] {
        var out: [Element] = []
        while let element = try listing.next() {
            out.append(element)
            try #require(out.count <= limit)
        }
        return out
    }
}
