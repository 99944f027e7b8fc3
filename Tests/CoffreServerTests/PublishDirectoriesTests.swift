@testable import CoffreServer
import CoffreProtocol
import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing

/// Publishing a blob into fan-out directories it has to make: the directories are made
/// without a sync, their parents' fsyncs run beside the file's (`syncSideBySide`), and every
/// one of them has ended before the rename.
@Suite struct PublishDirectoriesTests {
    static let vault = try! BlobNamespace("vault-1")

    /// Names left in `tmp/` besides the store's lock.
    static func leftovers(_ root: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root + "/tmp").filter { $0 != "blob-store.lock" }
    }

    @Test func parallelUploadsIntoANewVaultMakeEveryDirectoryAndLeaveNoMarks() throws {
        let root = try TemporaryDirectory()
        let store = try DiskBlobStore(root: root.path, configuration: .init(freeSpaceReserve: 0))
        let blobs = (0..<16).map { TestBlob.bytes(count: 3000 + $0, seed: 100 + UInt64($0)) }
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: blobs.count) { index in
            do { try TestBlob.put(blobs[index], into: store, namespace: Self.vault) } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        for bytes in blobs {
            let id = try TestBlob.id(of: bytes)
            #expect(try store.verify(namespace: Self.vault, id: id))
            let path = DiskLayout.blobPath(root: root.path, namespace: Self.vault, id: id)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
        }
        // Every directory made was reported synced: no later upload has a parent left to sync.
        #expect(store.directoriesBeingCreated.withLock { $0 }.isEmpty)
        #expect(try Self.leftovers(root.path).isEmpty)
    }

    @Test func aFanOutDirectoryThatCannotBeMadeFailsThatUploadAlone() throws {
        let root = try TemporaryDirectory()
        let store = try DiskBlobStore(root: root.path, configuration: .init(freeSpaceReserve: 0))
        let blocked = TestBlob.bytes(count: 5000, seed: 7)
        let blockedID = try TestBlob.id(of: blocked)
        // A file where the blob's first-level directory should be: mkdirat says EEXIST and the
        // open as a directory fails.
        let first = root.path + "/blobs/vault-1/" + blockedID.hex.prefix(2)
        try FileManager.default.createDirectory(atPath: root.path + "/blobs/vault-1", withIntermediateDirectories: true)
        try Data([1]).write(to: URL(fileURLWithPath: first))

        #expect(throws: BlobStoreError.self) { try TestBlob.put(blocked, into: store, namespace: Self.vault) }
        #expect(try store.info(namespace: Self.vault, id: blockedID) == nil)
        #expect(try Self.leftovers(root.path).isEmpty)

        // Another blob, whose directories can be made, is stored.
        var seed: UInt64 = 8
        var other = TestBlob.bytes(count: 5000, seed: seed)
        while try TestBlob.id(of: other).hex.prefix(2) == blockedID.hex.prefix(2) {
            seed += 1
            other = TestBlob.bytes(count: 5000, seed: seed)
        }
        let info = try TestBlob.put(other, into: store, namespace: Self.vault)
        #expect(try store.verify(namespace: Self.vault, id: info.id))
        #expect(try Self.leftovers(root.path).isEmpty)
    }

    @Test func aParentSyncThatFailsIsThrownAfterTheFileSyncEnded() throws {
        let root = try TemporaryDirectory()
        let store = try DiskBlobStore(root: root.path, configuration: .init(freeSpaceReserve: 0))
        let file = try FileDescriptor.open(
            root.path + "/tmp", relativeTo: nil, flags: O_RDONLY | O_DIRECTORY, operation: "open tmp/")
        // The parent of "gone/ab" does not exist: its sync fails with "parent vanished", and
        // the file's sync beside it runs to its end all the same.
        #expect(throws: BlobStoreError.io(operation: "create a blob directory", detail: "parent vanished")) {
            try store.syncSideBySide(file, parentsOf: ["vault-1", "gone/ab"])
        }
        // Parents that exist sync without error, alone or several at once.
        try store.syncSideBySide(file, parentsOf: [])
        try FileManager.default.createDirectory(atPath: root.path + "/blobs/vault-1/ab", withIntermediateDirectories: true)
        try store.syncSideBySide(file, parentsOf: ["vault-1", "vault-1/ab", "vault-1/ab/cd"])
    }

    @Test func theCommitsOwnThreadReturnsAndThrowsWhatTheBodyDid() async throws {
        let value = try await BlobLayer.waitingOnDisk { () throws(BlobStoreError) in 42 }
        #expect(value == 42)
        await #expect(throws: BlobStoreError.hashMismatch) {
            try await BlobLayer.waitingOnDisk { () throws(BlobStoreError) -> Int in throw .hashMismatch }
        }
        // Eight at once, each blocked until all have started: none waits for a free pool thread.
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try await BlobLayer.waitingOnDisk { () throws(BlobStoreError) in
                        started.signal()
                        release.wait()
                        return index
                    }
                }
            }
            for _ in 0..<8 { started.wait() }
            for _ in 0..<8 { release.signal() }
            var sum = 0
            for try await index in group { sum += index }
            #expect(sum == 28)
        }
    }
}
