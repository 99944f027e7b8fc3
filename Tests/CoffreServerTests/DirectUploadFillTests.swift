@testable import CoffreServer
import CoffreProtocol
import Foundation
import Glibc
import Testing

/// Direct uploads that take the body in their own buffers (`FillableBlobUpload`): the bytes as
/// filled, whatever the size around block and buffer edges; the checks and failures of
/// `write`; nothing left behind after a failure; the buffers back in the pool afterwards.
@Suite struct DirectUploadFillTests {
    static let vault = try! BlobNamespace("vault-fill")

    /// Fills `upload`'s buffers in turn with `bytes`, as `BlobLayer.fill` does, and commits.
    static func fill(_ bytes: [UInt8], into upload: any BlobUpload) throws -> BlobInfo {
        let fillable = try #require(upload as? any FillableBlobUpload)
        let buffers = try #require(try fillable.fillBuffers())
        #expect(buffers.count >= 2)
        #expect(Set(buffers.map(\.memory.count)).count == 1)
        #expect(Set(buffers.map { Int(bitPattern: $0.memory.baseAddress) }).count == buffers.count)
        #expect(buffers.allSatisfy { Int(bitPattern: $0.memory.baseAddress) % DirectUploadWriter.alignment == 0 })
        var offset = 0
        var next = 0
        repeat {
            let buffer = buffers[next % buffers.count]
            next += 1
            let count = min(buffer.memory.count, bytes.count - offset)
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: buffer.memory[0..<count])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
            }
            offset += count
            try fillable.writeFilled(buffer, count: count, last: offset == bytes.count)
        } while offset < bytes.count
        return try upload.commit()
    }

    @Test(arguments: [
        (1 << 20) + 1, 2 << 20, (2 << 20) + 4095, (3 << 20) + 4096, (4 << 20) + 1,
    ])
    func sizesAroundTheBlockAndBufferEdgesRoundTrip(_ size: Int) throws {
        let root = try TemporaryDirectory()
        let store = try DirectUploadTests.store(root)
        let bytes = TestBlob.bytes(count: size, seed: UInt64(size) + 40)
        let upload = try store.beginUpload(namespace: Self.vault, id: try TestBlob.id(of: bytes), expectedSize: Int64(size))
        let info = try Self.fill(bytes, into: upload)
        #expect(info.size == Int64(size))
        let stored = try Data(contentsOf: URL(fileURLWithPath: DiskLayout.blobPath(root: root.path, namespace: Self.vault, id: info.id)))
        #expect([UInt8](stored) == bytes)
        #expect(try store.verify(namespace: Self.vault, id: info.id))
        #expect(try DiskBlobStoreFixture(root: root, disk: store).pendingUploadCount() == 0)
    }

    @Test func uploadsThatDoNotWriteDirectlyHaveNoBuffers() throws {
        let root = try TemporaryDirectory()
        let store = try DirectUploadTests.store(root)
        let bytes = TestBlob.bytes(count: 2 << 20, seed: 41)
        let id = try TestBlob.id(of: bytes)
        // Below the direct-write minimum, and of unknown size: through the page cache.
        let small = try store.beginUpload(namespace: Self.vault, id: id, expectedSize: 4096)
        #expect(try (small as? any FillableBlobUpload)?.fillBuffers() == nil)
        small.abort()
        let unknown = try store.beginUpload(namespace: Self.vault, id: id, expectedSize: nil)
        #expect(try (unknown as? any FillableBlobUpload)?.fillBuffers() == nil)
        unknown.abort()
        #expect(try DiskBlobStoreFixture(root: root, disk: store).pendingUploadCount() == 0)
    }

    @Test func wrongBytesMoreThanAnnouncedAndAPartialBufferBeforeTheLastFailAndLeaveNothing() throws {
        let failing = try DirectUploadTests.FailureCase(size: (3 << 20) + 100, seed: 42, flip: (2 << 20) + 7)
        let (store, bytes, id, tampered) = (failing.store, failing.bytes, failing.id, failing.tampered)
        let wrong = try store.beginUpload(namespace: Self.vault, id: id, expectedSize: Int64(bytes.count))
        #expect(throws: BlobStoreError.hashMismatch) { try Self.fill(tampered, into: wrong) }

        let announcedLess = try store.beginUpload(namespace: Self.vault, id: id, expectedSize: (2 << 20) + 1)
        #expect(throws: BlobStoreError.sizeMismatch(expected: (2 << 20) + 1, actual: 3 << 20)) {
            try Self.fill(bytes, into: announcedLess)
        }

        // A partial buffer that is not the last would leave the file's next direct write
        // unaligned: refused, and the upload is closed.
        let partial = try store.beginUpload(namespace: Self.vault, id: id, expectedSize: Int64(bytes.count))
        let fillable = try #require(partial as? any FillableBlobUpload)
        let buffers = try #require(try fillable.fillBuffers())
        #expect(throws: BlobStoreError.self) { try fillable.writeFilled(buffers[0], count: 5000, last: false) }
        #expect(throws: BlobStoreError.uploadClosed) { try fillable.writeFilled(buffers[1], count: 4096, last: false) }

        #expect(try failing.leftNothing(in: Self.vault))
    }

    @Test func bothBuffersGoBackToThePool() throws {
        let root = try TemporaryDirectory()
        let store = try DirectUploadTests.store(root)
        let spares = store.directBuffers.spareCount
        for seed in 43..<46 {
            let bytes = TestBlob.bytes(count: (2 << 20) + 10, seed: UInt64(seed))
            let upload = try store.beginUpload(namespace: Self.vault, id: try TestBlob.id(of: bytes), expectedSize: Int64(bytes.count))
            _ = try Self.fill(bytes, into: upload)
        }
        #expect(store.directBuffers.spareCount == max(spares, DirectUploadWriter.fillBufferCount))
    }
}
