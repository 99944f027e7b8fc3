@testable import CoffreServer
import CoffreProtocol
import Foundation
import Testing

/// `DiskBlobBatch.publish`'s directories, made without syncing and made durable in the round
/// that syncs the renames: the marks of directories it made end only when that round has
/// returned, a directory marked by another caller keeps that caller's mark (as with
/// `DiskBlobStore.makeDirectory`), and a failure while making them publishes nothing and leaves
/// the marks, so later callers sync those parents themselves.
@Suite struct DiskBlobBatchDirectoryTests {
    static let vault = DiskBlobBatchTests.vault

    static func blobs(_ count: Int, seed: UInt64) -> [[UInt8]] {
        (0..<count).map { TestBlob.bytes(count: 300 + $0, seed: seed + UInt64($0)) }
    }

    static func blobPath(_ root: TemporaryDirectory, _ id: BlobID) -> String {
        DiskLayout.blobPath(root: root.path + "/data", namespace: vault, id: id)
    }

    @Test func aNewVaultsDirectoriesAreMadeAndTheirMarksEnd() throws {
        let root = try TemporaryDirectory()
        let store = try DiskBlobBatchTests.openStore(root)
        let blobs = Self.blobs(20, seed: 500)
        let (batch, ids) = try DiskBlobBatchTests.stage(blobs, into: store)
        #expect(try batch.publish(Set(ids)).count == ids.count)
        for (index, id) in ids.enumerated() {
            #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.blobPath(root, id)))) == blobs[index])
        }
        #expect(store.directoriesBeingCreated.withLock { $0.isEmpty })
        #expect(try DiskBlobBatchTests.uploadFiles(root).isEmpty)
    }

    /// Another upload made the namespace directory and has not synced `blobs/` yet: the batch
    /// publishes under it (syncing `blobs/` itself) and leaves that upload's mark alone.
    @Test func aDirectoryMarkedByAnotherCallerKeepsItsMark() throws {
        let root = try TemporaryDirectory()
        let store = try DiskBlobBatchTests.openStore(root)
        #expect(try store.makeDirectoryEntry(Self.vault.rawValue) == (made: true, unsynced: true))
        let blobs = Self.blobs(3, seed: 600)
        let (batch, ids) = try DiskBlobBatchTests.stage(blobs, into: store)
        #expect(try batch.publish(Set(ids)).count == 3)
        for id in ids { #expect(try store.info(namespace: Self.vault, id: id)?.size != nil) }
        #expect(store.directoriesBeingCreated.withLock { $0 } == [Self.vault.rawValue])
    }

    /// A regular file where one blob's middle directory belongs: making its leaf fails, the
    /// publish throws before any rename, the directories it made stay marked (so the next
    /// caller syncs their parents), and a later batch without that blob lands.
    @Test func aDirectoryThatCannotBeMadePublishesNothingAndKeepsTheMarks() throws {
        let root = try TemporaryDirectory()
        let store = try DiskBlobBatchTests.openStore(root)
        let blobs = Self.blobs(6, seed: 700)
        let ids = try blobs.map { try TestBlob.id(of: $0) }
        let blockedMiddle = URL(fileURLWithPath: Self.blobPath(root, ids[2]))
            .deletingLastPathComponent().deletingLastPathComponent()
        try FileManager.default.createDirectory(
            at: blockedMiddle.deletingLastPathComponent(), withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: blockedMiddle.path, contents: Data("in the way".utf8)))

        let (failing, _) = try DiskBlobBatchTests.stage(blobs, into: store)
        #expect(throws: BlobStoreError.self) { try failing.publish(Set(ids)) }
        for (index, id) in ids.enumerated() where index != 2 {
            #expect(try store.info(namespace: Self.vault, id: id) == nil)
        }
        #expect(try DiskBlobBatchTests.uploadFiles(root).isEmpty)
        let marked = store.directoriesBeingCreated.withLock { $0 }
        #expect(!marked.isEmpty)

        var others = blobs
        others.remove(at: 2)
        let (passing, otherIDs) = try DiskBlobBatchTests.stage(others, into: store)
        #expect(try passing.publish(Set(otherIDs)).count == others.count)
        for (index, id) in otherIDs.enumerated() {
            #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.blobPath(root, id)))) == others[index])
        }
        // The failed batch's marks are its own to end (it never synced them); this batch made
        // nothing they cover and synced their parents, and ended the marks of what it made.
        #expect(store.directoriesBeingCreated.withLock { $0 } == marked)
        #expect(try DiskBlobBatchTests.uploadFiles(root).isEmpty)
    }
}
