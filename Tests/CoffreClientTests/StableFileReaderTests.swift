import Glibc
import Testing
@testable import CoffreClient

@Suite struct StableFileReaderTests {
    /// Reads the whole file in small chunks, running `during` after the first chunk.
    static func readAll(_ reader: StableFileReader, during: () throws -> Void = {}) throws -> [UInt8] {
        var content: [UInt8] = []
        var first = true
        while true {
            let chunk = try reader.read(upTo: 4)
            if chunk.isEmpty { break }
            content += chunk
            if first {
                first = false
                try during()
            }
        }
        return content
    }

    @Test func aFileLeftAloneReadsAsStable() throws {
        let tree = try TemporaryTree()
        try tree.folder("d")
        try tree.write("d/file", "0123456789")
        let reader = try StableFileReader(root: try tree.root(), path: try LocalPath("d/file"))
        #expect(reader.metadataBeforeReading.size == 10)
        #expect(try Self.readAll(reader) == Array("0123456789".utf8))
        #expect(try reader.finish() == .stable(reader.metadataBeforeReading))
        #expect(reader.bytesRead == 10)
    }

    @Test func detectsAFileAppendedToDuringTheRead() throws {
        let tree = try TemporaryTree()
        try tree.write("log", "0123456789")
        let reader = try StableFileReader(root: try tree.root(), path: try LocalPath("log"))
        _ = try Self.readAll(reader) { try tree.append("log", "more") }
        #expect(try reader.finish() == .changedWhileReading)
    }

    @Test func detectsATruncation() throws {
        let tree = try TemporaryTree()
        try tree.write("f", "0123456789")
        let reader = try StableFileReader(root: try tree.root(), path: try LocalPath("f"))
        _ = try Self.readAll(reader) { #expect(truncate(tree.absolute("f"), 2) == 0) }
        #expect(try reader.finish() == .changedWhileReading)
    }

    @Test func detectsAnInPlaceEditThatRestoresTheMtime() throws {
        let tree = try TemporaryTree()
        try tree.write("f", "0123456789")
        try tree.setModificationTime("f", seconds: 1_600_000_000)
        let reader = try StableFileReader(root: try tree.root(), path: try LocalPath("f"))
        _ = try Self.readAll(reader) {
            let fd = open(tree.absolute("f"), O_WRONLY)
            defer { close(fd) }
            _ = pwrite(fd, "XY", 2, 0)
            try tree.setModificationTime("f", seconds: 1_600_000_000)  // ctime still moves
        }
        #expect(try reader.finish() == .changedWhileReading)
    }

    @Test func detectsTheFileBeingReplacedOrRemoved() throws {
        let tree = try TemporaryTree()
        try tree.write("f", "0123456789")
        try tree.write("g", "0123456789")
        let root = try tree.root()
        let replaced = try StableFileReader(root: root, path: try LocalPath("f"))
        _ = try Self.readAll(replaced) {
            try tree.write("new", "0123456789")
            try tree.rename("new", "f")
        }
        #expect(try replaced.finish() == .changedWhileReading)
        let removed = try StableFileReader(root: root, path: try LocalPath("g"))
        _ = try Self.readAll(removed) { try tree.remove("g") }
        #expect(try removed.finish() == .changedWhileReading)
    }

    @Test func refusesWhatIsNotARegularFileWithoutFollowingOrBlocking() throws {
        let tree = try TemporaryTree()
        try tree.write("real", "x")
        try tree.symlink("link", to: "real")
        try tree.symlink("linked-folder", to: ".")
        try tree.fifo("pipe")
        try tree.folder("folder")
        let root = try tree.root()
        #expect(throws: LocalFSError.wrongKind(expected: "a regular file")) { try StableFileReader(root: root, path: try LocalPath("link")) }
        #expect(throws: LocalFSError.wrongKind(expected: "a regular file")) { try StableFileReader(root: root, path: try LocalPath("pipe")) }
        #expect(throws: LocalFSError.wrongKind(expected: "a regular file")) { try StableFileReader(root: root, path: try LocalPath("folder")) }
        #expect(throws: LocalFSError.wrongKind(expected: "a folder on the path")) {
            try StableFileReader(root: root, path: try LocalPath("linked-folder/real"))
        }
        #expect(throws: LocalFSError.notFound) { try StableFileReader(root: root, path: try LocalPath("missing")) }
        #expect(throws: LocalFSError.notFound) { try StableFileReader(root: root, path: try LocalPath("nowhere/missing")) }
    }
}
