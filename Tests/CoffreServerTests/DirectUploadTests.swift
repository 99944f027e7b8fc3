@testable import CoffreServer
import CoffreProtocol
import Foundation
import Glibc
import Testing

/// Uploads written with direct I/O (`DirectUploadWriter`): exact bytes and sizes whatever the
/// write pattern, the same failures as buffered uploads, and the fallback to the page cache
/// when a device refuses the alignment.
@Suite struct DirectUploadTests {
    static let vault = try! BlobNamespace("vault-direct")

    /// A store writing uploads of at least 1 MiB directly (the default), or none when `direct`
    /// is false.
    static func store(_ root: TemporaryDirectory, direct: Bool = true) throws -> DiskBlobStore {
        try DiskBlobStore(root: root.path, configuration: .init(freeSpaceReserve: 0, directWriteMinimumSize: direct ? 1 << 20 : 0))
    }

    /// O_DIRECT, which Glibc does not export without _GNU_SOURCE (asm-generic/fcntl.h; arm64's own value).
    #if arch(arm64)
    static let directFlag: Int32 = 0o200000
    #else
    static let directFlag: Int32 = 0o40000
    #endif

    static func storedBytes(_ root: TemporaryDirectory, _ info: BlobInfo) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: DiskLayout.blobPath(root: root.path, namespace: vault, id: info.id))))
    }

    @Test(arguments: [
        (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 2 << 20, (3 << 20) + 4095, (4 << 20) + 512,
    ])
    func sizesAroundTheBlockAndBufferEdgesRoundTrip(_ size: Int) throws {
        for direct in [true, false] {
            let root = try TemporaryDirectory()
            let store = try Self.store(root, direct: direct)
            let bytes = TestBlob.bytes(count: size, seed: UInt64(size))
            let info = try TestBlob.put(bytes, into: store, namespace: Self.vault)
            #expect(info.size == Int64(size))
            #expect(try Self.storedBytes(root, info) == bytes)
            #expect(try store.verify(namespace: Self.vault, id: info.id))
            #expect(try DiskBlobStoreFixture(root: root, disk: store).pendingUploadCount() == 0)
        }
    }

    @Test func anUploadOfUnknownSizeIsWrittenThroughThePageCache() throws {
        let root = try TemporaryDirectory()
        let store = try Self.store(root)
        let bytes = TestBlob.bytes(count: (2 << 20) + 3, seed: 7)
        let info = try TestBlob.put(bytes, into: store, namespace: Self.vault, announceSize: false)
        #expect(try Self.storedBytes(root, info) == bytes)
    }

    /// A direct-writing store in a fresh folder, `size` bytes of a blob, their id, and a copy
    /// of them with one bit flipped at `flip`: for the tests of failing uploads.
    struct FailureCase {
        let root: TemporaryDirectory
        let store: DiskBlobStore
        let bytes: [UInt8]
        let id: BlobID
        let tampered: [UInt8]

        init(size: Int, seed: UInt64, flip: Int) throws {
            root = try TemporaryDirectory()
            store = try DirectUploadTests.store(root)
            bytes = TestBlob.bytes(count: size, seed: seed)
            id = try TestBlob.id(of: bytes)
            var tampered = bytes
            tampered[flip] ^= 1
            self.tampered = tampered
        }

        /// Nothing left in `tmp/` and no blob under the id.
        func leftNothing(in namespace: BlobNamespace) throws -> Bool {
            try DiskBlobStoreFixture(root: root, disk: store).pendingUploadCount() == 0
                && store.info(namespace: namespace, id: id) == nil
        }
    }

    @Test func wrongBytesShortBodiesAndAbortsLeaveNothingBehind() throws {
        let failing = try FailureCase(size: (2 << 20) + 100, seed: 8, flip: (1 << 20) + 5)
        let (store, bytes, id, tampered) = (failing.store, failing.bytes, failing.id, failing.tampered)
        let wrong = try store.beginUpload(namespace: Self.vault, id: id, expectedSize: Int64(bytes.count))
        try TestBlob.write(tampered, to: wrong)
        #expect(throws: BlobStoreError.hashMismatch) { try wrong.commit() }

        let short = try store.beginUpload(namespace: Self.vault, id: id, expectedSize: Int64(bytes.count))
        try TestBlob.write(Array(bytes.prefix((1 << 20) + 1)), to: short)
        #expect(throws: BlobStoreError.sizeMismatch(expected: Int64(bytes.count), actual: (1 << 20) + 1)) { try short.commit() }

        let aborted = try store.beginUpload(namespace: Self.vault, id: id, expectedSize: Int64(bytes.count))
        try TestBlob.write(Array(bytes.prefix(3 << 19)), to: aborted)
        aborted.abort()

        #expect(try failing.leftNothing(in: Self.vault))
    }

    /// Whole blocks go directly; a last partial block through the page cache, with no
    /// padding to cut back: the file holds exactly the bytes, whatever the tail's length.
    @Test(arguments: [16384 * 2 + 1234, 16384 * 2, 4096 * 3, 4096 * 3 + 1, 100, 16384 + 4095])
    func aLastPartialBlockGoesThroughThePageCache(_ size: Int) throws {
        let root = try TemporaryDirectory()
        let path = root.path + "/direct"
        let file = try FileDescriptor.open(path, relativeTo: nil, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600, operation: "create")
        let direct = try file.enableDirectIO(operation: "direct")
        let writer = try DirectUploadWriter(bufferBytes: 16384)
        let bytes = TestBlob.bytes(count: size, seed: UInt64(size))
        try bytes.withUnsafeBytes { raw in
            let cut = min(5000, raw.count)
            try writer.append(UnsafeRawBufferPointer(rebasing: raw[0..<cut]), to: file)
            try writer.append(UnsafeRawBufferPointer(rebasing: raw[cut...]), to: file)
        }
        try writer.finish(file)
        #expect(writer.isDirect == direct)
        #expect(try file.status(operation: "stat").st_size == off_t(size))
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
        // Only a partial last block turns direct I/O off on the file.
        let stillDirect = fcntl(file.raw, F_GETFL) & Self.directFlag != 0
        #expect(stillDirect == (direct && size % 4096 == 0))
    }

    @Test func aRefusedAlignmentFallsBackToThePageCache() throws {
        let root = try TemporaryDirectory()
        let path = root.path + "/refused"
        let file = try FileDescriptor.open(path, relativeTo: nil, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600, operation: "create")
        try #require(try file.enableDirectIO(operation: "direct"), "this test needs a file system with direct I/O")
        // 1,000-byte writes are no multiple of any device's logical block: direct I/O refuses them.
        let writer = try DirectUploadWriter(alignment: 8, bufferBytes: 1000)
        let bytes = TestBlob.bytes(count: 2500, seed: 10)
        try bytes.withUnsafeBytes { try writer.append($0, to: file) }
        try writer.finish(file)
        #expect(!writer.isDirect)
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
    }

    @Test func theSettingIsReadAndChecked() async throws {
        let config = try await ServerConfiguration.load(
            configFile: nil, environment: [:], overrides: ["storage.directWriteMinBytes": "4MiB"])
        #expect(config.storage.directWriteMinBytes == 4 << 20)
        #expect(ServerConfiguration().storage.directWriteMinBytes == 1 << 20)
        await #expect(throws: ConfigurationError.self) {
            try await ServerConfiguration.load(configFile: nil, environment: [:], overrides: ["storage.directWriteMinBytes": "-1"])
        }
        let root = try TemporaryDirectory()
        #expect(throws: BlobStoreError.self) {
            try DiskBlobStore(root: root.path, configuration: .init(directWriteMinimumSize: -1))
        }
    }
}
