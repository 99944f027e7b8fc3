@testable import CoffreServer
import CoffreProtocol
import Foundation
import Glibc
import Testing

/// What only the disk backend does: its layout, permissions, crash recovery, free-space
/// checks and its distrust of what it finds on disk.
@Suite struct DiskBlobStoreTests {
    static let vault = try! BlobNamespace("vault-1")

    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    static func inode(_ path: String) throws -> UInt64 {
        var info = stat()
        try #require(lstat(path, &info) == 0)
        return UInt64(info.st_ino)
    }

    @Test func layoutAndPermissions() throws {
        let root = try TemporaryDirectory()
        let store = try DiskBlobStore(root: root.path + "/data", configuration: .init(freeSpaceReserve: 0))
        let info = try TestBlob.put(TestBlob.bytes(count: 500, seed: 1), into: store, namespace: Self.vault)
        let hex = info.id.hex
        let base = root.path + "/data"
        let path = DiskLayout.blobPath(root: base, namespace: Self.vault, id: info.id)
        #expect(path == "\(base)/blobs/vault-1/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))/\(hex)")
        #expect(try Self.mode(path) == 0o600)
        let directories = [
            base, base + "/blobs", base + "/tmp", base + "/blobs/vault-1",
            base + "/blobs/vault-1/\(hex.prefix(2))", base + "/blobs/vault-1/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))",
        ]
        for directory in directories {
            #expect(try Self.mode(directory) == 0o700, "\(directory)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/tmp") == ["blob-store.lock"])
    }

    @Test func crashLeftoversAreRemovedOnOpen() throws {
        let root = try TemporaryDirectory()
        let outside = root.path + "/outside.txt"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: outside))
        do { _ = try DiskBlobStore(root: root.path + "/data") }

        let tmp = root.path + "/data/tmp"
        let manager = FileManager.default
        try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: tmp + "/blob-upload-0123abcd"))
        try Data().write(to: URL(fileURLWithPath: tmp + "/blob-upload-empty"))
        // A namespace whose deletion was cut short, with a link pointing out of the store.
        let doomed = tmp + "/blob-deleting-99/ab/cd"
        try manager.createDirectory(atPath: doomed, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: doomed + "/" + String(repeating: "a", count: 64)))
        try manager.createSymbolicLink(atPath: tmp + "/blob-deleting-99/ab/escape", withDestinationPath: root.path)
        try manager.createSymbolicLink(atPath: tmp + "/blob-upload-link", withDestinationPath: outside)
        try Data("not ours".utf8).write(to: URL(fileURLWithPath: tmp + "/other-component.tmp"))

        let store = try DiskBlobStore(root: root.path + "/data")
        #expect(Set(try manager.contentsOfDirectory(atPath: tmp)) == ["blob-store.lock", "other-component.tmp"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: outside)) == Data("keep me".utf8))
        #expect(try TestBlob.collect(store.namespaces()).isEmpty)
    }

    @Test func secondInstanceOnOneRootIsRefused() throws {
        let root = try TemporaryDirectory()
        do {
            let first = try DiskBlobStore(root: root.path)
            #expect(throws: BlobStoreError.storeInUse) { try DiskBlobStore(root: root.path) }
            withExtendedLifetime(first) {}
        }
        _ = try DiskBlobStore(root: root.path)
    }

    @Test func freeSpaceBelowTheReserveIsDiskFull() throws {
        let root = try TemporaryDirectory()
        let store = try DiskBlobStore(root: root.path, configuration: .init(freeSpaceReserve: Int64.max / 2))
        let id = try TestBlob.id(of: [1])
        #expect(throws: BlobStoreError.diskFull) { try store.beginUpload(namespace: Self.vault, id: id, expectedSize: 1) }
        #expect(throws: BlobStoreError.diskFull) { try store.beginUpload(namespace: Self.vault, id: id, expectedSize: nil) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path + "/tmp") == ["blob-store.lock"])

        // expected size + reserve overflowing Int64 is no way around the check.
        let saturated = try TemporaryDirectory()
        let tight = try DiskBlobStore(
            root: saturated.path, configuration: .init(maxBlobSize: Int64.max, freeSpaceReserve: Int64.max))
        #expect(throws: BlobStoreError.diskFull) { try tight.beginUpload(namespace: Self.vault, id: id, expectedSize: 10) }
    }

    @Test func errnoMapsToDiskFullOrIOError() throws {
        #expect(BlobStoreError.system("write", errno: ENOSPC) == .diskFull)
        #expect(BlobStoreError.system("write", errno: EDQUOT) == .diskFull)
        guard case .io(let operation, let detail) = BlobStoreError.system("fsync", errno: EIO) else {
            Issue.record("EIO must be an I/O error")
            return
        }
        #expect(operation == "fsync")
        #expect(detail.contains("Input/output error"))
        #expect(detail.contains("errno \(EIO)"))
    }

    @Test func writeToAFullDeviceIsDiskFull() throws {
        // /dev/full fails every write with ENOSPC, through the same write path uploads use.
        let device = try FileDescriptor.open("/dev/full", relativeTo: nil, flags: O_WRONLY, operation: "open /dev/full")
        #expect(throws: BlobStoreError.diskFull) {
            try [UInt8](repeating: 1, count: 100).withUnsafeBytes { try device.writeAll($0, operation: "write") }
        }
    }

    @Test func rePutKeepsTheFileAndRefreshesItsTime() throws {
        let root = try TemporaryDirectory()
        let store = try DiskBlobStore(root: root.path, configuration: .init(freeSpaceReserve: 0))
        let bytes = TestBlob.bytes(count: 4000, seed: 2)
        let info = try TestBlob.put(bytes, into: store, namespace: Self.vault)
        let path = DiskLayout.blobPath(root: root.path, namespace: Self.vault, id: info.id)
        let old = Date(timeIntervalSince1970: 946_684_800)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: path)
        let inode = try Self.inode(path)

        let again = try TestBlob.put(bytes, into: store, namespace: Self.vault)
        #expect(try Self.inode(path) == inode)
        #expect(again.created > old.addingTimeInterval(86_400))
        #expect(try store.info(namespace: Self.vault, id: info.id)?.created == again.created)
    }

    @Test func rePutReplacesATruncatedCopy() throws {
        let root = try TemporaryDirectory()
        let store = try DiskBlobStore(root: root.path, configuration: .init(freeSpaceReserve: 0))
        let bytes = TestBlob.bytes(count: 4000, seed: 3)
        let info = try TestBlob.put(bytes, into: store, namespace: Self.vault)
        let path = DiskLayout.blobPath(root: root.path, namespace: Self.vault, id: info.id)
        try #require(truncate(path, 1000) == 0)
        #expect(try store.verify(namespace: Self.vault, id: info.id) == false)

        #expect(try TestBlob.put(bytes, into: store, namespace: Self.vault).size == 4000)
        #expect(try store.verify(namespace: Self.vault, id: info.id))
    }

    @Test func readerReportsAFileThatShrankAndOffersItsDescriptor() throws {
        let root = try TemporaryDirectory()
        let store = try DiskBlobStore(root: root.path, configuration: .init(freeSpaceReserve: 0))
        let bytes = TestBlob.bytes(count: 8192, seed: 4)
        let info = try TestBlob.put(bytes, into: store, namespace: Self.vault)
        let reader = try store.open(namespace: Self.vault, id: info.id)

        let fd = try #require(reader.fileDescriptor)
        var first = [UInt8](repeating: 0, count: 16)
        #expect(first.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 16, 0) } == 16)
        #expect(first == Array(bytes.prefix(16)))

        try #require(truncate(DiskLayout.blobPath(root: root.path, namespace: Self.vault, id: info.id), 4096) == 0)
        #expect(throws: BlobStoreError.sizeMismatch(expected: 8192, actual: 4096)) {
            try first.withUnsafeMutableBytes { try reader.read(into: $0, at: 4090) }
        }
        #expect(throws: BlobStoreError.sizeMismatch(expected: 8192, actual: 4096)) { try reader.readAll(maxBytes: 8192) }
    }

    @Test func plantedLinksAndFifosAreNotFollowed() throws {
        let root = try TemporaryDirectory()
        let store = try DiskBlobStore(root: root.path, configuration: .init(freeSpaceReserve: 0))
        // A link to a file whose bytes really hash to the id: still not a blob of the store.
        let bytes = TestBlob.bytes(count: 100, seed: 5)
        let linked = try TestBlob.id(of: bytes)
        let outside = root.path + "/outside"
        try Data(bytes).write(to: URL(fileURLWithPath: outside))
        let linkPath = DiskLayout.blobPath(root: root.path, namespace: Self.vault, id: linked)
        try FileManager.default.createDirectory(
            atPath: (linkPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: linkPath, withDestinationPath: outside)
        #expect(throws: BlobStoreError.self) { try store.open(namespace: Self.vault, id: linked) }
        #expect(throws: BlobStoreError.self) { try store.info(namespace: Self.vault, id: linked) }

        let piped = try TestBlob.id(of: [1])
        let fifoPath = DiskLayout.blobPath(root: root.path, namespace: Self.vault, id: piped)
        try FileManager.default.createDirectory(
            atPath: (fifoPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try #require(mkfifo(fifoPath, 0o600) == 0)
        #expect(throws: BlobStoreError.self) { try store.open(namespace: Self.vault, id: piped) }
        #expect(try TestBlob.collect(store.blobs(in: Self.vault)).isEmpty)
    }

    @Test func strayEntriesAreLeftOutOfListings() throws {
        let root = try TemporaryDirectory()
        let store = try DiskBlobStore(root: root.path, configuration: .init(freeSpaceReserve: 0))
        let info = try TestBlob.put(TestBlob.bytes(count: 10, seed: 6), into: store, namespace: Self.vault)
        let hex = info.id.hex
        let blobs = root.path + "/blobs"
        let manager = FileManager.default
        let wrongPrefix = (hex.hasPrefix("00") ? "11" : "00") + hex.dropFirst(2)
        try manager.createDirectory(atPath: blobs + "/bad name", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: blobs + "/vault-1/zz/zz", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: blobs + "/vault-1/AB", withIntermediateDirectories: true)
        for file in [
            "/.DS_Store", "/plain-file", "/vault-1/\(hex.prefix(2))/\(hex)",
            "/vault-1/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))/not-a-hash",
            "/vault-1/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))/\(wrongPrefix)",
            "/vault-1/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))/\(hex.uppercased())",
        ] {
            try Data([0]).write(to: URL(fileURLWithPath: blobs + file))
        }
        #expect(try TestBlob.collect(store.namespaces()) == [Self.vault])
        #expect(try TestBlob.collect(store.blobs(in: Self.vault)).map(\.id) == [info.id])
    }

    @Test func openCreatesAMissingRootAndRefusesABrokenOne() throws {
        let root = try TemporaryDirectory()
        _ = try DiskBlobStore(root: root.path + "/new")
        #expect(try Self.mode(root.path + "/new") == 0o700)

        let fileRoot = root.path + "/a-file"
        try Data().write(to: URL(fileURLWithPath: fileRoot))
        #expect(throws: BlobStoreError.self) { try DiskBlobStore(root: fileRoot) }
        #expect(throws: BlobStoreError.self) { try DiskBlobStore(root: root.path + "/missing/parent") }

        let brokenRoot = root.path + "/broken"
        try FileManager.default.createDirectory(atPath: brokenRoot, withIntermediateDirectories: false)
        try Data().write(to: URL(fileURLWithPath: brokenRoot + "/blobs"))
        #expect(throws: BlobStoreError.self) { try DiskBlobStore(root: brokenRoot) }
        #expect(throws: BlobStoreError.self) { try DiskBlobStore(root: root.path, configuration: .init(maxBlobSize: -1)) }
    }

    @Test func errorTextsCarryNoPathsOrNames() throws {
        let root = try TemporaryDirectory()
        let secretRoot = root.path + "/vault-secret-marker"
        try FileManager.default.createDirectory(atPath: secretRoot, withIntermediateDirectories: false)
        try Data().write(to: URL(fileURLWithPath: secretRoot + "/tmp"))
        do {
            _ = try DiskBlobStore(root: secretRoot)
            Issue.record("a root whose tmp/ is a file must be refused")
        } catch {
            #expect(!error.description.contains("secret-marker"))
        }

        let store = try DiskBlobStore(root: root.path, configuration: .init(freeSpaceReserve: 0))
        let namespace = try BlobNamespace("secret-marker")
        let id = try TestBlob.id(of: [1])
        let path = DiskLayout.blobPath(root: root.path, namespace: namespace, id: id)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        do {
            _ = try store.open(namespace: namespace, id: id)
            Issue.record("a directory is not a blob")
        } catch {
            #expect(!error.description.contains("secret-marker"))
            #expect(!error.description.contains(id.hex))
        }
    }
}
