@testable import CoffreServer
import CoffreProtocol
import Foundation
import Testing

/// `DiskBlobBatch`'s early work (`EarlyBlobSyncs`): large blobs fsynced and given their
/// directories as they end land exactly, including more of them than run at once; a failed
/// early step fails the publish of a batch that chose the blob, publishes nothing of it, and
/// does not touch a batch that did not choose it.
@Suite struct DiskBlobBatchEarlySyncTests {
    static let vault = DiskBlobBatchTests.vault

    static func openStore(_ root: TemporaryDirectory) throws -> DiskBlobStore {
        try DiskBlobStore(root: root.path + "/data", configuration: .init(freeSpaceReserve: 0, directWriteMinimumSize: 1 << 20))
    }

    static func largeBlobs(_ count: Int, seed: UInt64) -> [[UInt8]] {
        (0..<count).map { TestBlob.bytes(count: (1 << 20) + 4096 * $0 + 7, seed: seed + UInt64($0)) }
    }

    @Test func moreLargeBlobsThanRunAtOnceAllLand() throws {
        let root = try TemporaryDirectory()
        let store = try Self.openStore(root)
        let blobs = Self.largeBlobs(EarlyBlobSyncs.width + 3, seed: 100)
        let batch = try DiskBlobBatch(store: store, namespace: Self.vault, expectedBytes: 0)
        var ids: [BlobID] = []
        for bytes in blobs {
            let id = try TestBlob.id(of: bytes)
            try batch.begin(id: id, size: Int64(bytes.count))
            try bytes.withUnsafeBytes { try batch.write($0) }
            #expect(try batch.end())
            ids.append(id)
        }
        let chosen = Set(ids.dropFirst())
        let published = try batch.publish(chosen)
        #expect(Set(published.keys) == chosen)
        for (index, id) in ids.enumerated() {
            let path = DiskLayout.blobPath(root: root.path + "/data", namespace: Self.vault, id: id)
            if chosen.contains(id) {
                #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == blobs[index])
            } else {
                #expect(!FileManager.default.fileExists(atPath: path))
            }
        }
        #expect(store.directoriesBeingCreated.withLock { $0.isEmpty })
        #expect(try DiskBlobBatchTests.uploadFiles(root).isEmpty)
    }

    /// A regular file where one blob's fan-out directory belongs makes that blob's early step
    /// fail (mkdirat under a file).
    @Test func aFailedEarlyStepFailsOnlyTheBatchThatChoseTheBlob() throws {
        let root = try TemporaryDirectory()
        let store = try Self.openStore(root)
        let blobs = Self.largeBlobs(3, seed: 200)
        let ids = try blobs.map { try TestBlob.id(of: $0) }
        let blocked = DiskLayout.blobPath(root: root.path + "/data", namespace: Self.vault, id: ids[1])
        let middle = URL(fileURLWithPath: blocked).deletingLastPathComponent().deletingLastPathComponent().path
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: middle).deletingLastPathComponent().path, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: middle, contents: Data("not a directory".utf8)))

        // Chosen: the publish fails with the step's error and renames nothing.
        let (failing, _) = try DiskBlobBatchTests.stage(blobs, into: store)
        #expect(throws: BlobStoreError.self) { try failing.publish(Set(ids)) }
        for id in [ids[0], ids[2]] { #expect(try store.info(namespace: Self.vault, id: id) == nil) }
        #expect(try DiskBlobBatchTests.uploadFiles(root).isEmpty)

        // Not chosen (the vault holds it, say): the others land.
        let (passing, _) = try DiskBlobBatchTests.stage(blobs, into: store)
        let published = try passing.publish([ids[0], ids[2]])
        #expect(Set(published.keys) == [ids[0], ids[2]])
        for index in [0, 2] {
            let path = DiskLayout.blobPath(root: root.path + "/data", namespace: Self.vault, id: ids[index])
            #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == blobs[index])
        }
        #expect(try DiskBlobBatchTests.uploadFiles(root).isEmpty)
    }

    /// A batch released without publishing, while its early work may still run, leaves no
    /// temp file and no blob.
    @Test func aBatchDiscardedDuringItsEarlyWorkLeavesNothing() throws {
        let root = try TemporaryDirectory()
        let store = try Self.openStore(root)
        let blobs = Self.largeBlobs(4, seed: 300)
        let (batch, ids) = try DiskBlobBatchTests.stage(blobs, into: store)
        batch.discard()
        for id in ids { #expect(try store.info(namespace: Self.vault, id: id) == nil) }
        #expect(try DiskBlobBatchTests.uploadFiles(root).isEmpty)
    }
}
