@testable import CoffreClient
import Glibc
import Synchronization
import Testing

/// `PlacementGroup` making a large group durable with one syncfs(2): the syncfs comes after
/// every temp file is written and before any rename, a smaller group still fsyncs file by
/// file, a failed syncfs falls back to those fsyncs, and a crash at the syncfs leaves nothing
/// placed.
@Suite struct PlacementGroupFileSystemSyncTests {
    typealias Crash = PlacementGroupTests.SimulatedCrash

    /// Members for `count` files spread over two folders.
    static func members(_ tree: TemporaryTree, count: Int) throws -> [PlacementGroup.Member] {
        try tree.folder("x")
        try tree.folder("y")
        return try (0..<count).map { try PlacementGroupTests.member(tree, "\($0 % 2 == 0 ? "x" : "y")/f\($0)", "file \($0)") }
    }

    /// The members (of `count`) whose destinations under `root` exist now.
    static func placedNames(_ root: String, count: Int) -> [Int] {
        var info = stat()
        return (0..<count).filter { lstat(root + "/\($0 % 2 == 0 ? "x" : "y")/f\($0)", &info) == 0 }
    }

    @Test func oneSyncfsComesAfterEveryFileAndBeforeAnyRename() async throws {
        let tree = try TemporaryTree()
        let members = try Self.members(tree, count: 20)
        let points = Mutex<[SyncFaultPoint]>([])
        let visibleAtSync = Mutex<[Int]?>(nil)
        let path = tree.path
        let group = PlacementGroup(syncWidth: 4, fileSystemSyncFiles: 8) { point in
            points.withLock { $0.append(point) }
            if point == .syncingFileSystem { visibleAtSync.withLock { $0 = Self.placedNames(path, count: 20) } }
        }
        let outcomes = try await group.place(members)
        #expect(outcomes.allSatisfy { if case .placed = $0 { true } else { false } })
        for index in 0..<20 { #expect(try tree.read("\(index % 2 == 0 ? "x" : "y")/f\(index)") == "file \(index)") }
        #expect(try tree.lstat("x/f0").st_mode & 0o777 == 0o640, "the mode set before the syncfs")
        #expect(try tree.lstat("y/f1").st_mtim.tv_sec == 1, "the mtime set before the syncfs")

        let seen = points.withLock { $0 }
        #expect(seen.filter { $0 == .syncingFileSystem }.count == 1, "one syncfs for the group")
        let sync = try #require(seen.firstIndex(of: .syncingFileSystem))
        let lastFile = try #require(seen.lastIndex { if case .syncingDownload = $0 { true } else { false } })
        let firstRename = try #require(seen.firstIndex { if case .placingDownload = $0 { true } else { false } })
        #expect(lastFile < sync && sync < firstRename, "every file before the syncfs, every rename after it")
        #expect(seen.filter { if case .syncingDownload = $0 { true } else { false } }.count == 20, "no file fsynced again")
        #expect(visibleAtSync.withLock { $0 } == [], "no destination exists before the syncfs")
    }

    @Test func aSmallerGroupFsyncsFileByFile() async throws {
        let tree = try TemporaryTree()
        let members = try Self.members(tree, count: 7)
        let syncs = Atomic<Int>(0)
        let group = PlacementGroup(syncWidth: 4, fileSystemSyncFiles: 8) { point in
            if point == .syncingFileSystem { syncs.add(1, ordering: .relaxed) }
        }
        let outcomes = try await group.place(members)
        #expect(outcomes.allSatisfy { if case .placed = $0 { true } else { false } })
        #expect(syncs.load(ordering: .relaxed) == 0)
    }

    @Test func aFailedSyncfsFallsBackToAnFsyncPerFile() async throws {
        let tree = try TemporaryTree()
        let members = try Self.members(tree, count: 10)
        let fileSyncs = Atomic<Int>(0)
        let group = PlacementGroup(syncWidth: 4, fileSystemSyncFiles: 2) { point in
            switch point {
            case .syncingFileSystem: throw LocalFSError.system(operation: "syncfs", code: EIO)
            case .syncingDownload("x/f4"): throw LocalFSError.system(operation: "fsync", code: EIO)
            case .syncingDownload: fileSyncs.add(1, ordering: .relaxed)
            default: break
            }
        }
        let outcomes = try await group.place(members)
        #expect(outcomes[4] == .failed(.system(operation: "fsync", code: EIO)))
        for index in 0..<10 where index != 4 {
            guard case .placed = outcomes[index] else { Issue.record("f\(index) not placed: \(outcomes[index])"); return }
        }
        #expect(fileSyncs.load(ordering: .relaxed) == 18, "each other file went through the syncfs, then its own fsync")
        #expect(!tree.exists("x/f4"))
    }

    @Test func aCrashAtTheSyncfsPlacesNothing() async throws {
        let tree = try TemporaryTree()
        var members: [PlacementGroup.Member]? = try Self.members(tree, count: 12)
        let group = PlacementGroup(syncWidth: 4, fileSystemSyncFiles: 4) { point in
            if point == .syncingFileSystem { throw Crash() }
        }
        await #expect(throws: Crash.self) { try await group.place(members!) }
        #expect(Self.placedNames(tree.path, count: 12).isEmpty)
        members = nil
        for folder in ["x", "y"] { #expect(try PlacementGroupTests.temporaryFiles(tree, in: folder).isEmpty) }
    }

    @Test func placementsSyncedTogetherAreDurableOnlyOnce() throws {
        let tree = try TemporaryTree()
        let root = try tree.root()
        let first = try FilePlacement(root: root, destination: try LocalPath("a"), mode: 0o600, modificationTime: 0)
        let second = try FilePlacement(root: root, destination: try LocalPath("b"), mode: 0o600, modificationTime: 0)
        try FilePlacement.makeDurable(together: [first, second])
        #expect(throws: LocalFSError.misuse("placement already finished or durable")) {
            try FilePlacement.makeDurable(together: [second])
        }
        guard case .placed = try first.link(expecting: .absent) else { Issue.record("a not placed"); return }
        #expect(throws: LocalFSError.self) { try FilePlacement.makeDurable(together: [first]) }
    }
}
