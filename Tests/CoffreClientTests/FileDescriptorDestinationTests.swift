@testable import CoffreClient
import CSystemShims
import Foundation
import Synchronization
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
        // The blocks go to the device in the background: the failure comes with a later write or with `finish`.
        #expect(throws: PipelineError.destinationFailed(operation: "pwrite", errno: EBADF, detail: String(cString: strerror(EBADF)))) {
            try block.withUnsafeBytes { try destination.write($0) }
            try block.withUnsafeBytes { try destination.write($0) }
            try destination.finish()
        }
        try destination.rollBack()
        #expect(!Self.isDirect(fd))
        #expect(try TemporaryDirectory.contents(of: fd) == [1, 2, 3])
    }

    // MARK: Background writes (`BackgroundBlockWriter`)

    /// Writes `data` in `pieces` through a direct run into a file holding `preamble`, then
    /// finishes; returns the descriptor (the caller closes it) and whether the run was direct
    /// at the end.
    func directRun(_ data: [UInt8], pieces: Int, preamble: [UInt8], staging: DirectWriteStaging) throws -> (Int32, Bool) {
        let fd = try file(preamble: preamble)
        let destination = try FileDescriptorDestination(fileDescriptor: fd)
        destination.prepareDirectWrites(byteCount: data.count, staging: staging)
        let size = (data.count + pieces - 1) / pieces
        for start in stride(from: 0, to: data.count, by: size) {
            try data.withUnsafeBytes { try destination.write(UnsafeRawBufferPointer(rebasing: $0[start..<min(start + size, data.count)])) }
        }
        let direct = destination.writesDirectly
        try destination.finish()
        return (fd, direct)
    }

    /// Three buffers' worth and more, in pieces that are not whole blocks.
    static let manyBuffers = ChunkerFixtures.pseudoRandom(count: 3 * DirectWriteStaging.capacity + 12_345, seed: 35)

    @Test func shortBackgroundWritesAreContinued() throws {
        let calls = Mutex(0)
        // Every pwrite(2) of staged blocks takes at most three blocks (a multiple of the block: O_DIRECT).
        let shortened = DirectWriteStaging { _, count throws(PipelineError) in
            calls.withLock { $0 += 1 }
            return min(count, 3 * DirectWriteStaging.blockSize)
        }
        let preamble = ChunkerFixtures.pseudoRandom(count: 4096 + 99, seed: 36)
        let (fd, direct) = try directRun(Self.manyBuffers, pieces: 7, preamble: preamble, staging: shortened)
        defer { close(fd) }
        #expect(direct)
        #expect(!Self.isDirect(fd))
        let made = calls.withLock { $0 }
        // Every whole block went through them, the last ones included (only the partial block at the end did not).
        #expect(made >= Self.manyBuffers.count / (3 * DirectWriteStaging.blockSize))
        #expect(try TemporaryDirectory.contents(of: fd) == preamble + Self.manyBuffers)
        #expect(lseek(fd, 0, SEEK_CUR) == off_t(preamble.count + Self.manyBuffers.count))
    }

    /// The device fails the third staged write, after two were written: the error comes out of
    /// the run, the roll-back waits for nothing more to land and cuts the file back, and the
    /// staging serves the next run as if nothing had happened.
    @Test(arguments: [1, 7, 64])
    func aBackgroundWriteFailingMidRunIsThrownAndRolledBack(pieces: Int) throws {
        let calls = Mutex(0)
        let full = PipelineError.destinationFailed(operation: "pwrite", errno: ENOSPC, detail: "No space left on device")
        let failing = DirectWriteStaging { _, count throws(PipelineError) in
            let call = calls.withLock { calls in
                calls += 1
                return calls
            }
            if call == 3 { throw full }
            return count
        }
        let preamble = ChunkerFixtures.pseudoRandom(count: 700, seed: 37)
        let fd = try file(preamble: preamble)
        defer { close(fd) }
        let destination = try FileDescriptorDestination(fileDescriptor: fd)
        destination.prepareDirectWrites(byteCount: Self.manyBuffers.count, staging: failing)
        #expect(destination.writesDirectly)
        let size = (Self.manyBuffers.count + pieces - 1) / pieces
        #expect(throws: full) {
            for start in stride(from: 0, to: Self.manyBuffers.count, by: size) {
                try Self.manyBuffers.withUnsafeBytes {
                    try destination.write(UnsafeRawBufferPointer(rebasing: $0[start..<min(start + size, Self.manyBuffers.count)]))
                }
            }
            try destination.finish()
        }
        try destination.rollBack()
        #expect(!Self.isDirect(fd))
        #expect(try TemporaryDirectory.contents(of: fd) == preamble)
        #expect(lseek(fd, 0, SEEK_CUR) == off_t(preamble.count))
        #expect(!failing.writer.hasPendingWrite)

        let (next, direct) = try directRun(Self.manyBuffers, pieces: 3, preamble: [], staging: failing)
        defer { close(next) }
        #expect(direct)
        #expect(try TemporaryDirectory.contents(of: next) == Self.manyBuffers)
    }

    /// A device refusing the alignment (EINVAL) in a background write: that write and the rest
    /// of the run go through the page cache, every byte in place.
    @Test func aRefusedAlignmentInABackgroundWriteFallsBackToThePageCache() throws {
        let refused = Mutex(false)
        let einval = PipelineError.destinationFailed(operation: "pwrite", errno: EINVAL, detail: "Invalid argument")
        let refusing = DirectWriteStaging { _, count throws(PipelineError) in
            if refused.withLock({ $0 }) == false {
                refused.withLock { $0 = true }
                throw einval
            }
            return count
        }
        let preamble = ChunkerFixtures.pseudoRandom(count: 10, seed: 38)
        let (fd, direct) = try directRun(Self.manyBuffers, pieces: 5, preamble: preamble, staging: refusing)
        defer { close(fd) }
        #expect(!direct)
        #expect(!Self.isDirect(fd))
        #expect(try TemporaryDirectory.contents(of: fd) == preamble + Self.manyBuffers)
    }
}
