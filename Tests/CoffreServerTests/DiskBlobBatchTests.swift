@testable import CoffreServer
import CoffreProtocol
import Foundation
import Testing

/// `DiskBlobBatch` on its own: both publish paths (fsyncs below `fileSystemSyncThreshold`,
/// syncfs from it on) publish exactly the chosen verified blobs, leave no temp files, and
/// refuse wrong bytes; concurrent batches and uploads into shared fan-out directories agree.
@Suite struct DiskBlobBatchTests {
    static let vault = try! BlobNamespace("vault-batch")

    static func openStore(_ root: TemporaryDirectory) throws -> DiskBlobStore {
        try DiskBlobStore(root: root.path + "/data", configuration: .init(freeSpaceReserve: 0))
    }

    /// Streams `blobs` into a new batch in odd-sized writes and returns it with their ids.
    static func stage(_ blobs: [[UInt8]], into store: DiskBlobStore) throws -> (DiskBlobBatch, [BlobID]) {
        let batch = try DiskBlobBatch(store: store, namespace: vault, expectedBytes: 0)
        var ids: [BlobID] = []
        for bytes in blobs {
            let id = try TestBlob.id(of: bytes)
            try batch.begin(id: id, size: Int64(bytes.count))
            var offset = 0
            var turn = 0
            try bytes.withUnsafeBytes { raw in
                while offset < raw.count {
                    let count = min(TestBlob.oddWriteSizes[turn % TestBlob.oddWriteSizes.count], raw.count - offset)
                    try batch.write(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + count]))
                    offset += count
                    turn += 1
                }
            }
            #expect(try batch.end())
            ids.append(id)
        }
        return (batch, ids)
    }

    static func uploadFiles(_ root: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root.path + "/data/tmp").filter { $0.hasPrefix("blob-upload-") }
    }

    @Test(arguments: [3, DiskBlobBatch.fileSystemSyncThreshold])
    func publishesTheChosenBlobsAndRemovesTheRest(count: Int) throws {
        let root = try TemporaryDirectory()
        let store = try Self.openStore(root)
        // One blob over the writeback interval, so its writes start writeback mid-stream.
        let blobs = (0..<count).map { TestBlob.bytes(count: $0 == 0 ? 3 << 20 + 17 : 100 + $0, seed: UInt64($0) + 1) }
        let (batch, ids) = try Self.stage(blobs, into: store)
        #expect(batch.stagedIDs == Set(ids))
        let chosen = Set(ids.dropLast())
        let sizes = try batch.publish(chosen)
        #expect(Set(sizes.keys) == chosen)
        for (index, id) in ids.enumerated() {
            let info = try store.info(namespace: Self.vault, id: id)
            if chosen.contains(id) {
                #expect(info?.size == Int64(blobs[index].count))
                #expect(sizes[id] == Int64(blobs[index].count))
                #expect(try store.verify(namespace: Self.vault, id: id))
            } else {
                #expect(info == nil)
            }
        }
        #expect(batch.stagedIDs.isEmpty)
        #expect(try Self.uploadFiles(root).isEmpty)
    }

    @Test func wrongBytesAreNotStagedAndOverlongWritesFail() throws {
        let root = try TemporaryDirectory()
        let store = try Self.openStore(root)
        let batch = try DiskBlobBatch(store: store, namespace: Self.vault, expectedBytes: 0)
        let bytes = TestBlob.bytes(count: 64, seed: 9)
        let wrongID = try TestBlob.id(of: TestBlob.bytes(count: 64, seed: 10))
        try batch.begin(id: wrongID, size: 64)
        try bytes.withUnsafeBytes { try batch.write($0) }
        #expect(try batch.end() == false)
        try batch.begin(id: try TestBlob.id(of: bytes), size: 10)
        #expect(throws: BlobStoreError.self) { try bytes.withUnsafeBytes { try batch.write($0) } }
        #expect(batch.stagedIDs.isEmpty)
        batch.discard()
        #expect(try Self.uploadFiles(root).isEmpty)
        #expect(try batch.publish([wrongID]).isEmpty)
    }

    /// Large blobs of a batch are written with direct I/O through one reused buffer: sizes
    /// around the block and buffer edges, a larger blob after a smaller one and the other way
    /// round, a tampered large blob and one cut short between them, all land exactly as a batch
    /// written through the page cache lands them (`direct: false`).
    @Test(arguments: [true, false])
    func largeBlobsLandExactlyWithOrWithoutDirectWrites(direct: Bool) throws {
        let root = try TemporaryDirectory()
        let store = try DiskBlobStore(
            root: root.path + "/data", configuration: .init(freeSpaceReserve: 0, directWriteMinimumSize: direct ? 1 << 20 : 0))
        let sizes = [(3 << 20) + 17, 1 << 20, 100, (1 << 20) - 1, (1 << 20) + 1, (2 << 20) + 4096, (1 << 20) + 5000]
        let blobs = sizes.enumerated().map { TestBlob.bytes(count: $1, seed: UInt64($0) + 40) }
        let (batch, ids) = try Self.stage(Array(blobs[..<4]), into: store)

        // A large blob whose bytes do not match its id, then one that ends short: neither is
        // staged, and the writer starts the next blob clean.
        var tampered = TestBlob.bytes(count: (2 << 20) + 3, seed: 60)
        let tamperedID = try TestBlob.id(of: tampered)
        tampered[(1 << 20) + 9] ^= 0x40
        try batch.begin(id: tamperedID, size: Int64(tampered.count))
        try tampered.withUnsafeBytes { try batch.write($0) }
        #expect(try batch.end() == false)
        let short = TestBlob.bytes(count: (1 << 20) + 300, seed: 61)
        try batch.begin(id: try TestBlob.id(of: short), size: Int64(short.count))
        try short.withUnsafeBytes { try batch.write(UnsafeRawBufferPointer(rebasing: $0[..<((1 << 20) + 100)])) }
        #expect(throws: BlobStoreError.sizeMismatch(expected: Int64(short.count), actual: (1 << 20) + 100)) { try batch.end() }

        var allIDs = ids
        for bytes in blobs[4...] {
            let id = try TestBlob.id(of: bytes)
            try batch.begin(id: id, size: Int64(bytes.count))
            try bytes.withUnsafeBytes { try batch.write($0) }
            #expect(try batch.end())
            allIDs.append(id)
        }
        #expect(batch.stagedIDs == Set(allIDs))
        let published = try batch.publish(Set(allIDs))
        for (index, id) in allIDs.enumerated() {
            #expect(published[id] == Int64(sizes[index]))
            let path = DiskLayout.blobPath(root: root.path + "/data", namespace: Self.vault, id: id)
            #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == blobs[index])
        }
        #expect(try store.info(namespace: Self.vault, id: tamperedID) == nil)
        #expect(try Self.uploadFiles(root).isEmpty)
    }

    /// Batches of 40 blobs (fsyncs) or of `fileSystemSyncThreshold` (directories made without
    /// syncing their parents, covered by the syncfs after the renames) racing single uploads.
    @Test(arguments: [40, DiskBlobBatch.fileSystemSyncThreshold])
    func concurrentBatchesAndUploadsIntoSharedDirectoriesAllLand(batchSize: Int) async throws {
        let root = try TemporaryDirectory()
        let store = try Self.openStore(root)
        // Blobs of a fresh namespace, so the batches and uploads create its directories
        // together and share their parents' fsyncs.
        let groups = (0..<4).map { group in
            (0..<(group % 2 == 0 ? batchSize : 40)).map { TestBlob.bytes(count: 200, seed: UInt64(group * 1000 + $0)) }
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for (index, blobs) in groups.enumerated() {
                tasks.addTask {
                    if index % 2 == 0 {
                        let (batch, ids) = try Self.stage(blobs, into: store)
                        #expect(try batch.publish(Set(ids)).count == ids.count)
                    } else {
                        for bytes in blobs { try TestBlob.put(bytes, into: store, namespace: Self.vault) }
                    }
                }
            }
            try await tasks.waitForAll()
        }
        for bytes in groups.joined() {
            #expect(try store.info(namespace: Self.vault, id: try TestBlob.id(of: bytes))?.size == 200)
        }
        #expect(store.directoriesBeingCreated.withLock { $0.isEmpty })
        #expect(try Self.uploadFiles(root).isEmpty)
    }
}
