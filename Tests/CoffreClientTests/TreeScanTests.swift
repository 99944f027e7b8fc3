import Foundation
import Glibc
import Testing
@testable import CoffreClient

@Suite struct TreeScanTests {
    @Test func reportsEveryKindOfEntryWithItsMetadataInDepthFirstByteOrder() throws {
        let tree = try TemporaryTree()
        try tree.folder("docs")
        try tree.write("docs/a.txt", "hello")
        try tree.folder("docs/inner")
        try tree.write("docs/inner/deep.bin", bytes: [0, 1, 2, 255])
        try tree.write("run.sh", "#!/bin/sh\n", mode: 0o755)
        try tree.write("B-upper", "x")
        try tree.write("docs.txt", "sibling that sorts after docs")
        try tree.symlink("outside", to: "/etc/passwd")
        try tree.symlink("up", to: "../../somewhere")
        try tree.symlink("docs-link", to: "docs")
        try tree.fifo("pipe")
        try tree.setModificationTime("docs/a.txt", seconds: 1_700_000_000)

        let items = Array(try tree.root().scan())
        #expect(items.order == [
            "B-upper", "docs", "docs/a.txt", "docs/inner", "docs/inner/deep.bin", "docs-link", "docs.txt", "outside",
            "pipe", "run.sh", "up",
        ])
        let entries = items.entries
        let file = try #require(entries["docs/a.txt"])
        #expect(file.kind == .file)
        #expect(file.metadata.size == 5)
        #expect(file.metadata.modificationTime == 1_700_000_000 * 1_000_000_000)
        let info = try tree.lstat("docs/a.txt")
        #expect(file.metadata.inode == UInt64(info.st_ino))
        #expect(file.metadata.device == UInt64(info.st_dev))
        #expect(file.metadata.mode == 0o644 && !file.metadata.isExecutable)
        #expect(entries["run.sh"]?.metadata.isExecutable == true)
        #expect(entries["docs/inner/deep.bin"]?.metadata.size == 4)
        #expect(entries["docs"]?.kind == .folder)
        #expect(entries["outside"]?.kind == .symlink(target: "/etc/passwd"))
        #expect(entries["up"]?.kind == .symlink(target: "../../somewhere"))
        // A symlink to a folder is a symlink: its target's contents are not listed again.
        #expect(entries["docs-link"]?.kind == .symlink(target: "docs"))
        #expect(items.skipped == ["pipe": .unsupportedKind(.fifo)])
    }

    @Test func reportsSocketsAsUnsupported() throws {
        let tree = try TemporaryTree()
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(tree.absolute("sock").utf8)
        try #require(path.count < MemoryLayout.size(ofValue: address.sun_path))
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        #expect(Array(try tree.root().scan()).skipped == ["sock": .unsupportedKind(.socket)])
    }

    @Test func skipsANameThatIsNotUTF8ButKeepsItsRawBytes() throws {
        let tree = try TemporaryTree()
        let raw: [UInt8] = [0x66, 0xFF, 0xFE, 0x2E, 0x74]  // "f\xFF\xFE.t"
        let full = Array(tree.path.utf8) + [UInt8(ascii: "/")] + raw + [0]
        let fd = full.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
        try #require(fd >= 0)
        close(fd)
        try tree.write("fine.txt", "ok")

        let items = Array(try tree.root().scan())
        #expect(items.entries.keys.sorted() == ["fine.txt"])
        let skipped = items.compactMap { item -> SkippedEntry? in
            if case .skipped(let entry) = item { return entry } else { return nil }
        }
        #expect(skipped.count == 1)
        #expect(skipped.first?.rawPath == raw)
        #expect(skipped.first?.path == nil)
        #expect(skipped.first?.reason == .invalidUTF8Name)
    }

    @Test func givesDecomposedNamesInBothForms() throws {
        let tree = try TemporaryTree()
        let decomposed = "Cafe\u{301}"  // as macOS would store "Café"
        try tree.folder(decomposed)
        try tree.write(decomposed + "/Re\u{301}sume\u{301}.txt", "cv")

        let entries = Array(try tree.root().scan()).compactMap { item -> ScannedEntry? in
            if case .entry(let entry) = item { return entry } else { return nil }
        }
        #expect(entries.count == 2)
        let file = try #require(entries.last)
        #expect(Array(file.path.onDisk.utf8) == Array((decomposed + "/Re\u{301}sume\u{301}.txt").utf8))
        #expect(Array(file.path.normalized.utf8) == Array("Caf\u{E9}/R\u{E9}sum\u{E9}.txt".utf8))
        #expect(file.path.bytes == Array(file.path.onDisk.utf8))
    }

    @Test func acceptsLongestNamesAndSkipsPathsBeyondPathMax() throws {
        let tree = try TemporaryTree()
        let longName = String(repeating: "n", count: 255)
        try tree.write(longName, "max")
        // 17 nested folders of 250 bytes: deeper paths pass 4095 bytes.
        // Made one level at a time relative to the previous one: mkdir(2) of the whole path
        // would fail with ENAMETOOLONG.
        var folder = open(tree.path, O_RDONLY | O_DIRECTORY)
        for level in 0..<17 {
            let name = String(repeating: Character(String(level % 10)), count: 250)
            try #require(mkdirat(folder, name, 0o755) == 0)
            let next = openat(folder, name, O_RDONLY | O_DIRECTORY)
            close(folder)
            folder = next
            try #require(folder >= 0)
        }
        close(folder)
        let items = Array(try tree.root().scan())
        #expect(items.entries[longName]?.metadata.size == 3)
        let tooLong = items.compactMap { item -> SkippedEntry? in
            if case .skipped(let entry) = item { return entry } else { return nil }
        }
        #expect(tooLong.count == 1)
        #expect(tooLong.first?.reason == .pathTooLong)
        #expect((tooLong.first?.rawPath.count ?? 0) > LocalPath.maximumByteCount)
        #expect(items.entries.keys.allSatisfy { $0.utf8.count <= LocalPath.maximumByteCount })
    }

    @Test func reportsAnEntryThatVanishesBetweenListingAndStat() throws {
        let tree = try TemporaryTree()
        for name in ["a", "b", "c"] { try tree.write(name, name) }
        let scan = try tree.root().scan()
        guard case .entry(let first)? = scan.next() else { Issue.record("no first entry"); return }
        #expect(first.path.onDisk == "a")
        try tree.remove("c")  // listed already, not examined yet
        var rest: [ScanItem] = []
        while let item = scan.next() { rest.append(item) }
        #expect(rest.order == ["b", "c"])
        #expect(rest.skipped == ["c": .vanished])
        #expect(SkipReason.vanished.stateIsUnknown)
    }

    @Test func reportsAFolderReplacedByASymlinkAsChanged() throws {
        let tree = try TemporaryTree()
        try tree.write("a", "a")
        try tree.folder("b")
        let scan = try tree.root().scan()
        _ = scan.next()
        try tree.remove("b")
        try tree.symlink("b", to: "/")
        // d_type said folder; the lstat now says symlink: reported as what it is, never followed.
        let rest = Array(AnySequence { scan })
        #expect(rest.entries["b"]?.kind == .symlink(target: "/"))
    }

    @Test(.enabled(if: geteuid() != 0, "root bypasses permission bits"))
    func skipsAnUnreadableFolderAsUnknownInsteadOfEmpty() throws {
        let tree = try TemporaryTree()
        try tree.folder("locked")
        try tree.write("locked/secret", "x")
        try #require(chmod(tree.absolute("locked"), 0) == 0)
        let items = Array(try tree.root().scan())
        #expect(items.skipped == ["locked": .unreadable(errno: EACCES)])
        #expect(SkipReason.unreadable(errno: EACCES).stateIsUnknown)
    }

    @Test func stopsAtTheDepthLimit() throws {
        let tree = try TemporaryTree()
        try tree.folder("1")
        try tree.folder("1/2")
        try tree.folder("1/2/3")
        try tree.write("1/2/3/f", "f")
        var options = ScanOptions()
        options.maximumDepth = 2
        let items = Array(try tree.root().scan(options: options))
        #expect(items.order == ["1", "1/2", "1/2/3"])
        #expect(items.skipped == ["1/2/3": .tooDeep])
    }

    @Test func skipsAFolderWithTooManyEntries() throws {
        let tree = try TemporaryTree()
        try tree.folder("big")
        for index in 0..<5 { try tree.write("big/\(index)") }
        var options = ScanOptions()
        options.maximumEntriesPerFolder = 4
        #expect(Array(try tree.root().scan(options: options)).skipped == ["big": .tooManyEntries])
    }

    @Test func appliesIgnoreFilesPerFolderWithNegationAndSkipsReservedNames() throws {
        let tree = try TemporaryTree()
        try tree.write(".coffreignore", "*.log\nbuild/\n!keep.log\n")
        try tree.write("app.log", "")
        try tree.write("keep.log", "")
        try tree.folder("build")
        try tree.write("build/out.o", "")
        try tree.folder("src")
        try tree.write("src/.coffreignore", "!*.log\n/generated\n")
        try tree.write("src/trace.log", "")
        try tree.write("src/generated", "")
        try tree.write("src/main.swift", "")
        try tree.write("src/.main.swift.swp", "")
        try tree.folder(".coffre")
        try tree.write(".coffre/index.db", "")
        try tree.write(".coffre-tmp-0123", "")

        let scan = try tree.root().scan()
        let items = Array(AnySequence { scan })
        #expect(items.entries.keys.sorted() == [".coffreignore", "keep.log", "src", "src/.coffreignore", "src/main.swift", "src/trace.log"])
        #expect(items.skipped == [
            "app.log": .ignored, "build": .ignored, "src/generated": .ignored, "src/.main.swift.swp": .ignored,
            ".coffre": .syncStateFolder, ".coffre-tmp-0123": .syncTemporaryFile,
        ])
        // The rules found are kept for matching the watcher's paths later.
        #expect(scan.ignoreRules.files.count == 2)
        #expect(scan.ignoreRules.isIgnored("build/new.o", isFolder: false))
        #expect(!scan.ignoreRules.isIgnored("src/x.log", isFolder: false))
    }

    @Test func skipsAFolderWhoseIgnoreFileIsTooLargeAndDoesNotBlockOnAFIFO() throws {
        let tree = try TemporaryTree()
        try tree.folder("huge")
        try tree.write("huge/.coffreignore", bytes: [UInt8](repeating: UInt8(ascii: "#"), count: IgnoreFile.maximumByteCount + 1))
        try tree.write("huge/data", "")
        try tree.folder("piped")
        try tree.fifo("piped/.coffreignore")
        try tree.write("piped/data", "")
        let items = Array(try tree.root().scan())
        #expect(items.skipped["huge"] == .ignoreFileRejected)
        #expect(items.entries["piped/data"] != nil)
        #expect(items.skipped["piped/.coffreignore"] == .unsupportedKind(.fifo))
    }

    @Test func canScanWithoutIgnoreRules() throws {
        let tree = try TemporaryTree()
        try tree.write(".coffreignore", "*\n")
        try tree.write("x.swp", "")
        try tree.write(".coffre-tmp-1", "")
        var options = ScanOptions()
        options.appliesIgnoreRules = false
        let items = Array(try tree.root().scan(options: options))
        #expect(items.entries.keys.sorted() == [".coffreignore", "x.swp"])
        #expect(items.skipped == [".coffre-tmp-1": .syncTemporaryFile])
    }

    @Test func reportsMountPointsAsOtherFileSystemsUnlessAskedToCross() throws {
        // /proc is its own file system on every Linux this runs on; scanning "/" one level
        // deep meets it as a real mount point without mounting anything.
        var rootInfo = stat()
        var procInfo = stat()
        try #require(lstat("/", &rootInfo) == 0 && lstat("/proc", &procInfo) == 0)
        try #require(rootInfo.st_dev != procInfo.st_dev, "/proc is not a separate mount here")
        var options = ScanOptions()
        options.maximumDepth = 1
        options.appliesIgnoreRules = false
        let staying = Array(try SyncRoot(path: "/").scan(options: options))
        #expect(staying.skipped["proc"] == .otherFileSystem)
        #expect(staying.entries.keys.allSatisfy { !$0.hasPrefix("proc/") })
        options.crossesFileSystems = true
        let crossing = Array(try SyncRoot(path: "/").scan(options: options))
        #expect(crossing.entries["proc"]?.kind == .folder)
        guard case .symlink? = crossing.entries["proc/self"]?.kind else {
            Issue.record("/proc/self should be listed as a symlink once the scan crosses into /proc")
            return
        }
    }

    @Test func followsASymlinkedRootButNothingBelowIt() throws {
        let tree = try TemporaryTree()
        try tree.folder("real")
        try tree.write("real/file", "x")
        try tree.symlink("real/loop", to: ".")
        try tree.symlink("alias", to: "real")
        let items = Array(try SyncRoot(path: tree.absolute("alias")).scan())
        #expect(items.order == ["file", "loop"])
        #expect(items.entries["loop"]?.kind == .symlink(target: "."))
    }

    @Test func refusesARootThatIsMissingOrAFile() throws {
        let tree = try TemporaryTree()
        try tree.write("file", "")
        #expect(throws: LocalFSError.notFound) { try SyncRoot(path: tree.absolute("missing")) }
        #expect(throws: LocalFSError.wrongKind(expected: "a folder")) { try SyncRoot(path: tree.absolute("file")) }
    }
}
