@testable import CoffreServer
import CoffreProtocol
import Foundation
import Glibc
import Testing

/// The reused buffers of direct writes (`DirectWriteBufferPool`): a buffer goes back to the
/// pool when its writer is released, the pool keeps no more than its bound, and what a buffer
/// held for one file never reaches another.
@Suite struct DirectWriteBufferPoolTests {
    static let vault = try! BlobNamespace("vault-pool")

    static func file(_ root: TemporaryDirectory, _ name: String) throws -> (FileDescriptor, String) {
        let path = root.path + "/" + name
        let file = try FileDescriptor.open(path, relativeTo: nil, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600, operation: "create")
        _ = try file.enableDirectIO(operation: "direct")
        return (file, path)
    }

    @Test func aReusedBufferLeavesNoOldBytesInTheNextFile() throws {
        let root = try TemporaryDirectory()
        let pool = DirectWriteBufferPool(alignment: 4096, bufferBytes: 16384, maxSpare: 1)
        let first = TestBlob.bytes(count: 16384 + 9000, seed: 21)
        let (firstFile, firstPath) = try Self.file(root, "first")
        do {
            let writer = try DirectUploadWriter(pool: pool)
            try first.withUnsafeBytes { try writer.append($0, to: firstFile) }
            try writer.finish(firstFile)
        }
        #expect(pool.spareCount == 1)

        // A shorter file through the same buffer: its padding must be zeros, cut off, not the
        // first file's bytes.
        let second = TestBlob.bytes(count: 100, seed: 22)
        let (secondFile, secondPath) = try Self.file(root, "second")
        do {
            let writer = try DirectUploadWriter(pool: pool)
            #expect(pool.spareCount == 0)
            try second.withUnsafeBytes { try writer.append($0, to: secondFile) }
            try writer.finish(secondFile)
        }
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: firstPath))) == first)
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: secondPath))) == second)
        #expect(pool.spareCount == 1)
    }

    @Test func thePoolKeepsNoMoreThanItsBound() throws {
        let pool = DirectWriteBufferPool(alignment: 4096, bufferBytes: 8192, maxSpare: 2)
        do {
            let writers = try (0..<5).map { _ in try DirectUploadWriter(pool: pool) }
            #expect(writers.count == 5)
            #expect(pool.spareCount == 0)
        }
        #expect(pool.spareCount == 2)
        let unpooled = DirectWriteBufferPool(alignment: 4096, bufferBytes: 8192, maxSpare: 0)
        _ = try DirectUploadWriter(pool: unpooled)
        #expect(unpooled.spareCount == 0)
    }

    @Test func buffersAreAlignedAndReusedByTheStoresUploads() throws {
        let root = try TemporaryDirectory()
        let store = try DiskBlobStore(root: root.path, configuration: .init(freeSpaceReserve: 0, directWriteMinimumSize: 1 << 20))
        let buffer = try store.directBuffers.take()
        #expect(Int(bitPattern: buffer.memory.baseAddress) % DirectUploadWriter.alignment == 0)
        store.directBuffers.giveBack(buffer)

        for seed in 0..<3 {
            let bytes = TestBlob.bytes(count: (2 << 20) + 77 * seed, seed: UInt64(30 + seed))
            let info = try TestBlob.put(bytes, into: store, namespace: Self.vault)
            #expect(try store.verify(namespace: Self.vault, id: info.id))
            // One upload at a time: the one buffer goes round.
            #expect(store.directBuffers.spareCount == 1)
        }
        // A failed upload gives its buffer back too.
        do {
            let bytes = TestBlob.bytes(count: 3 << 20, seed: 40)
            let upload = try store.beginUpload(namespace: Self.vault, id: try TestBlob.id(of: bytes), expectedSize: Int64(bytes.count))
            #expect(store.directBuffers.spareCount == 0)
            try TestBlob.write(Array(bytes.prefix(1 << 20)), to: upload)
            #expect(throws: BlobStoreError.sizeMismatch(expected: Int64(bytes.count), actual: 1 << 20)) { try upload.commit() }
        }
        #expect(store.directBuffers.spareCount == 1)
        #expect(try DiskBlobStoreFixture(root: root, disk: store).pendingUploadCount() == 0)
    }
}
