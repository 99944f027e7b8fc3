@testable import CoffreClient
import CSystemShims
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `FileDescriptorDestination`'s direct writes: whole aligned blocks through the staging
/// buffer from any starting offset, the run's first block keeping its earlier bytes, the last
/// partial block through the page cache, O_DIRECT off again after a run whatever its outcome,
/// the offset where write(2) would have left it.
@Suite struct FileDescriptorDestinationTests {
    let directory: TemporaryDirectory
    let staging = DirectWriteStaging()

    init() throws {
        directory = try TemporaryDirectory()
    }

    /// A file holding `preamble` bytes, positioned after them.
    func file(preamble: [UInt8]) throws -> Int32 {
        let fd = try directory.openFile("dest-\(UUID())")
        #expect(preamble.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == preamble.count)
        return fd
    }

    static func isDirect(_ fd: Int32) -> Bool { fcntl(fd, F_GETFL) & COFFRE_O_DIRECT != 0 }

    /// Preambles ending mid-block, on a block boundary, and none; writes of odd sizes that
    /// cross blocks and overflow the staging buffer.
    @Test(arguments: [0, 4096, 4096 + 13, 1])
    func aDirectRunWritesEveryByteAfterWhatTheFileHeld(preambleCount: Int) throws {
        let preamble = ChunkerFixtures.pseudoRandom(count: preambleCount, seed: 31)
        let fd = try file(preamble: preamble)
        defer { close(fd) }
        let sizes = [1, 4095, 4096, (3 << 20) + 7, DirectWriteStaging.capacity + 4097, 5]
        let data = ChunkerFixtures.pseudoRandom(count: sizes.reduce(0, +), seed: 32)
        let destination = try FileDescriptorDestination(fileDescriptor: fd)
        destination.prepareDirectWrites(byteCount: data.count, staging: staging)
        // This machine's file systems take O_DIRECT; one that does not would write through the page cache.
        #expect(destination.writesDirectly)
        #expect(Self.isDirect(fd))
        var offset = 0
        for size in sizes {
            try data.withUnsafeBytes { try destination.write(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + size)])) }
            offset += size
        }
        try destination.finish()
        #expect(!Self.isDirect(fd))
        #expect(try TemporaryDirectory.contents(of: fd) == preamble + data)
        #expect(lseek(fd, 0, SEEK_CUR) == off_t(preamble.count + data.count))
        // The descriptor goes on as before: a later write(2) lands after the run.
        #expect(write(fd, "!", 1) == 1)
        #expect(try TemporaryDirectory.contents(of: fd) == preamble + data + Array("!".utf8))
    }

    @Test func aDirectRunRolledBackLeavesTheFileAsItWas() throws {
        let preamble = ChunkerFixtures.pseudoRandom(count: 5000, seed: 33)
        let fd = try file(preamble: preamble)
        defer { close(fd) }
        let data = ChunkerFixtures.pseudoRandom(count: 3 * 4096 + 100, seed: 34)
        let destination = try FileDescriptorDestination(fileDescriptor: fd)
        destination.prepareDirectWrites(byteCount: FileDescriptorDestination.directWriteMinimum, staging: staging)
        #expect(destination.writesDirectly)
        try data.withUnsafeBytes { try destination.write($0) }
        try destination.rollBack()
        #expect(!Self.isDirect(fd))
        #expect(try TemporaryDirectory.contents(of: fd) == preamble)
        #expect(lseek(fd, 0, SEEK_CUR) == off_t(preamble.count))
    }

    @Test func smallRunsAndPipesGoThroughThePageCache() throws {
        let fd = try file(preamble: [1, 2, 3])
        defer { close(fd) }
        let small = try FileDescriptorDestination(fileDescriptor: fd)
        small.prepareDirectWrites(byteCount: FileDescriptorDestination.directWriteMinimum - 1, staging: staging)
        #expect(!small.writesDirectly)
        #expect(!Self.isDirect(fd))
        try [UInt8](repeating: 9, count: 10).withUnsafeBytes { try small.write($0) }
        try small.finish()
        #expect(try TemporaryDirectory.contents(of: fd) == [1, 2, 3] + [UInt8](repeating: 9, count: 10))

        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        let piped = try FileDescriptorDestination(fileDescriptor: ends[1])
        piped.prepareDirectWrites(byteCount: 1 << 30, staging: staging)
        #expect(!piped.writesDirectly)
        try [UInt8]("through".utf8).withUnsafeBytes { try piped.write($0) }
        var received = [UInt8](repeating: 0, count: 7)
        #expect(received.withUnsafeMutableBytes { read(ends[0], $0.baseAddress, 7) } == 7)
        #expect(received == Array("through".utf8))
    }

    @Test func aFailedDirectWriteIsReportedAndRollBackTurnsODirectOff() throws {
        let path = directory.url.appendingPathComponent("read-only").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])))
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        #expect(lseek(fd, 0, SEEK_END) == 3)
        let destination = try FileDescriptorDestination(fileDescriptor: fd)
        destination.prepareDirectWrites(byteCount: FileDescriptorDestination.directWriteMinimum, staging: staging)
        #expect(destination.writesDirectly)
        let block = [UInt8](repeating: 7, count: 2 * 4096)
        #expect(throws: PipelineError.destinationFailed(operation: "pwrite", errno: EBADF, detail: String(cString: strerror(EBADF)))) {
            try block.withUnsafeBytes { try destination.write($0) }
        }
        try destination.rollBack()
        #expect(!Self.isDirect(fd))
        #expect(try TemporaryDirectory.contents(of: fd) == [1, 2, 3])
    }
}
