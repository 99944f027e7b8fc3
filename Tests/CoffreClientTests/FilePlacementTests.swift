import Glibc
import Testing
@testable import CoffreClient

@Suite struct FilePlacementTests {
    static let mtime: Int64 = 1_700_000_000_123_456_789

    static func placement(_ tree: TemporaryTree, _ path: String, _ content: String, mode: UInt32 = 0o644) throws -> FilePlacement {
        let placement = try FilePlacement(root: try tree.root(), destination: try LocalPath(path), mode: mode, modificationTime: mtime)
        try placement.write(Array(content.utf8))
        return placement
    }

    @Test func placesANewFileWithItsModeAndMtimeAndLeavesNoTempFile() throws {
        let tree = try TemporaryTree()
        try tree.folder("d")
        let placement = try Self.placement(tree, "d/new.sh", "#!/bin/sh\n", mode: 0o755)
        #expect(placement.temporaryName.hasPrefix(ReservedNames.temporaryPrefix))
        #expect(try tree.names(in: "d") == [placement.temporaryName])
        guard case .placed(let metadata) = try placement.commit(expecting: .absent) else { Issue.record("not placed"); return }
        #expect(try tree.read("d/new.sh") == "#!/bin/sh\n")
        #expect(try tree.names(in: "d") == ["new.sh"])
        let info = try tree.lstat("d/new.sh")
        #expect(info.st_mode & 0o7777 == 0o755)
        #expect(metadata.modificationTime == Self.mtime)
        #expect(metadata.inode == UInt64(info.st_ino))
        #expect(throws: LocalFSError.self) { try placement.commit(expecting: .absent) }
    }

    @Test func neverSetsSetIDOrStickyBits() throws {
        let tree = try TemporaryTree()
        let placement = try Self.placement(tree, "tool", "x", mode: 0o7755)
        _ = try placement.commit(expecting: .absent)
        #expect(try tree.lstat("tool").st_mode & 0o7777 == 0o755)
    }

    @Test func refusesWhenAFileAppearedAndCanPlaceUnderAConflictName() throws {
        let tree = try TemporaryTree()
        let placement = try Self.placement(tree, "doc.txt", "remote")
        try tree.write("doc.txt", "local")
        let result = try placement.commit(expecting: .absent)
        guard case .conflict(let current?) = result else { Issue.record("expected a conflict, got \(result)"); return }
        #expect(current.0 == .file)
        #expect(current.1.size == 5)
        #expect(try tree.read("doc.txt") == "local")
        #expect(try placement.commit(expecting: .absent, as: "doc (conflict x 2024-01-01 000000).txt") != result)
        #expect(try tree.read("doc (conflict x 2024-01-01 000000).txt") == "remote")
        #expect(try tree.names() == ["doc (conflict x 2024-01-01 000000).txt", "doc.txt"])
    }

    @Test func refusesWhenAFolderOrSymlinkTookTheName() throws {
        let tree = try TemporaryTree()
        try tree.folder("taken")
        try tree.symlink("link", to: "/etc/passwd")
        for name in ["taken", "link"] {
            let placement = try Self.placement(tree, name, "remote")
            guard case .conflict(let current?) = try placement.commit(expecting: .absent) else { Issue.record("placed over \(name)"); continue }
            #expect(current.0 == (name == "taken" ? .folder : .symlink))
        }
        #expect(try tree.lstat("link").st_mode & S_IFMT == S_IFLNK)
    }

    @Test func replacesTheExpectedFile() throws {
        let tree = try TemporaryTree()
        try tree.write("doc.txt", "old")
        let expected = try #require(try tree.root().metadata(of: try LocalPath("doc.txt"))?.metadata)
        let placement = try Self.placement(tree, "doc.txt", "new content")
        guard case .placed(let placed) = try placement.commit(expecting: .file(expected)) else { Issue.record("not placed"); return }
        #expect(try tree.read("doc.txt") == "new content")
        #expect(placed.size == 11)
        #expect(placed.inode != expected.inode)
        #expect(try tree.names() == ["doc.txt"])
    }

    @Test func refusesWhenTheDestinationChangedLocally() throws {
        let tree = try TemporaryTree()
        try tree.write("doc.txt", "old")
        let root = try tree.root()
        let expected = try #require(try root.metadata(of: try LocalPath("doc.txt"))?.metadata)
        let placement = try Self.placement(tree, "doc.txt", "remote")
        try tree.append("doc.txt", " plus a local edit")
        #expect(try placement.commit(expecting: .file(expected)) != .placed(expected))
        #expect(try tree.read("doc.txt") == "old plus a local edit")
        // Deleted locally: also a conflict (edit beats delete is the planner's call, not ours).
        try tree.remove("doc.txt")
        guard case .conflict(nil) = try placement.commit(expecting: .file(expected)) else { Issue.record("expected conflict"); return }
        #expect(!tree.exists("doc.txt"))
        try placement.discard()
        #expect(try tree.names().isEmpty)
    }

    @Test func refusesAFileReplacedBySameSizeContentWithAnotherInode() throws {
        let tree = try TemporaryTree()
        try tree.write("doc.txt", "aaa")
        let expected = try #require(try tree.root().metadata(of: try LocalPath("doc.txt"))?.metadata)
        try tree.write("other", "bbb")
        try tree.rename("other", "doc.txt")
        let placement = try Self.placement(tree, "doc.txt", "remote")
        #expect(try placement.commit(expecting: .file(expected)) != .placed(expected))
        #expect(try tree.read("doc.txt") == "bbb")
    }

    @Test func releasingAnUncommittedPlacementRemovesItsTempFile() throws {
        let tree = try TemporaryTree()
        do {
            let placement = try Self.placement(tree, "x", "data")
            #expect(try tree.names().count == 1)
            _ = placement
        }
        #expect(try tree.names().isEmpty)
    }

    @Test func refusesBadNamesAndFoldersReachedThroughSymlinks() throws {
        let tree = try TemporaryTree()
        try tree.folder("real")
        try tree.symlink("alias", to: "real")
        let root = try tree.root()
        #expect(throws: LocalFSError.wrongKind(expected: "a folder on the path")) {
            try FilePlacement(root: root, destination: try LocalPath("alias/f"), mode: 0o644, modificationTime: 0)
        }
        #expect(throws: LocalFSError.notFound) {
            try FilePlacement(root: root, destination: try LocalPath("missing/f"), mode: 0o644, modificationTime: 0)
        }
        let placement = try Self.placement(tree, "real/f", "x")
        #expect(throws: LocalFSError.self) { try placement.commit(expecting: .absent, as: "../escape") }
        #expect(throws: LocalFSError.self) { try placement.commit(expecting: .absent, as: ".coffre-tmp-x") }
        #expect(throws: LocalFSError.self) { try placement.commit(expecting: .absent, as: "") }
        #expect(try tree.names(in: "real").count == 1)  // still only the temp file
    }
}
