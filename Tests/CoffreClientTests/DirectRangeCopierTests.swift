@testable import CoffreClient
import CSystemShims
import Foundation
import Glibc
import Testing

/// `DirectRangeCopier`: a run of a source file appended to a temp file with O_DIRECT writes,
/// the source read directly or through the page cache, from and to any offset; short reads, a
/// read error, a source that ends early, and file systems that refuse O_DIRECT.
@Suite struct DirectRangeCopierTests {
    let directory: TemporaryDirectory
    /// 20 MiB and a bit: a run from it spans three staging buffers.
    let source: [UInt8]
    let sourceFile: Int32

    init() throws {
        directory = try TemporaryDirectory()
        source = ChunkerFixtures.pseudoRandom(count: (20 << 20) + 1_234, seed: 41)
        sourceFile = try directory.openFile("source.bin")
        #expect(source.withUnsafeBytes { write(sourceFile, $0.baseAddress, $0.count) } == source.count)
    }

    /// A temp file holding `preamble` bytes, positioned after them, opened with `flags`.
    func destination(preamble: Int, flags: Int32 = O_RDWR) throws -> Int32 {
        let path = directory.url.appendingPathComponent("dest-\(UUID())").path
        let fd = open(path, flags | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LocalFSError.system(operation: "test open", code: errno) }
        let bytes = ChunkerFixtures.pseudoRandom(count: preamble, seed: 42)
        #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == preamble)
        return fd
    }

    func contents(_ fd: Int32) throws -> [UInt8] {
        let path = "/proc/self/fd/\(fd)"
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Reads seen by a fault hook (the copier calls it on its own thread only).
    final class ReadCount { var value = 0 }

    /// Places of the test's own: other suites' copies running meanwhile take the shared ones.
    static func ownPlaces() -> DirectRangeCopier.Places { DirectRangeCopier.Places(maximum: DirectRangeCopier.maximumInFlight) }

    static func isDirect(_ fd: Int32) -> Bool { fcntl(fd, F_GETFL) & COFFRE_O_DIRECT != 0 }

    /// Runs that start and end mid-block (and on a boundary), into files that end mid-block (and
    /// on one), over several staging buffers, with either kind of source read.
    @Test(arguments: [(0, 0), (4_096, 4_096), (1_000, 13), (5_000, 0), (0, 4_095)], [true, false])
    func copiesAnyRunToAnyOffset(offsets: (source: Int, preamble: Int), direct: Bool) throws {
        let fd = try destination(preamble: offsets.preamble)
        defer { close(fd) }
        let length = (17 << 20) + 999
        let copier = DirectRangeCopier(places: Self.ownPlaces(), reads: direct ? .direct : .buffered)
        #expect(try copier.copy(from: sourceFile, at: Int64(offsets.source), length: Int64(length), to: fd) == .copied)
        let written = try contents(fd)
        #expect(written.count == offsets.preamble + length)
        #expect(Array(written[offsets.preamble...]) == Array(source[offsets.source..<(offsets.source + length)]))
        #expect(Array(written[..<offsets.preamble]) == ChunkerFixtures.pseudoRandom(count: offsets.preamble, seed: 42))
        #expect(lseek(fd, 0, SEEK_CUR) == off_t(offsets.preamble + length), "the offset after the run, as write(2) leaves it")
        #expect(!Self.isDirect(fd) && !Self.isDirect(sourceFile), "O_DIRECT off on both again")
        #expect(direct ? copier.directReadBytes == Int64(length) : copier.cachedReadBytes == Int64(length))
    }

    @Test func aSourceInThePageCacheIsReadThroughItAndAnEvictedOneDirectly() throws {
        // Just written: cached.
        #expect(!DirectRangeCopier.mostlyUncached(sourceFile, offset: 0, length: Int64(source.count)))
        guard fdatasync(sourceFile) == 0, posix_fadvise(sourceFile, 0, 0, POSIX_FADV_DONTNEED) == 0 else {
            throw LocalFSError.system(operation: "test evict", code: errno)
        }
        var cached: UInt64 = 0
        // Without cachestat(2) (ENOSYS) the copier reads directly, as for an evicted file.
        if coffre_cachestat(sourceFile, 0, UInt64(source.count), &cached) == 0, cached > UInt64(source.count / 4_096 / 2) {
            return  // a page cache under pressure from other suites kept the pages; nothing to check
        }
        #expect(DirectRangeCopier.mostlyUncached(sourceFile, offset: 0, length: Int64(source.count)))
    }

    /// Reads shorter than asked (direct: fewer blocks; buffered: any count) are continued.
    @Test(arguments: [true, false])
    func shortReadsAreContinued(direct: Bool) throws {
        let fd = try destination(preamble: 100)
        defer { close(fd) }
        let copier = DirectRangeCopier(places: Self.ownPlaces(), reads: direct ? .direct : .buffered) { _, count, isDirect throws(LocalFSError) in
            isDirect ? min(count, 3 * 4_096) : min(count, 10_001)
        }
        let length = 9 << 20
        #expect(try copier.copy(from: sourceFile, at: 777, length: Int64(length), to: fd) == .copied)
        #expect(Array(try contents(fd)[100...]) == Array(source[777..<(777 + length)]))
    }

    /// A read error mid-run is thrown, the temp file cut back to where the run began.
    @Test(arguments: [true, false])
    func aReadErrorMidRunCutsTheRunBack(direct: Bool) throws {
        let fd = try destination(preamble: 5_000)
        defer { close(fd) }
        let reads = ReadCount()
        let copier = DirectRangeCopier(places: Self.ownPlaces(), reads: direct ? .direct : .buffered) { _, count, _ throws(LocalFSError) in
            reads.value += 1
            guard reads.value < 3 else { throw .system(operation: "test read", code: EIO) }
            return count
        }
        #expect(throws: LocalFSError.system(operation: "test read", code: EIO)) {
            _ = try copier.copy(from: self.sourceFile, at: 10, length: 20 << 20, to: fd)
        }
        #expect(try contents(fd) == ChunkerFixtures.pseudoRandom(count: 5_000, seed: 42))
        #expect(lseek(fd, 0, SEEK_CUR) == 5_000)
        #expect(!Self.isDirect(fd) && !Self.isDirect(sourceFile))
    }

    /// A source shorter than the run (truncated after its check) ends the copy, nothing kept.
    @Test(arguments: [true, false])
    func aSourceThatEndsEarlyIsReported(direct: Bool) throws {
        let fd = try destination(preamble: 1)
        defer { close(fd) }
        guard ftruncate(sourceFile, 12 << 20) == 0 else { throw LocalFSError.system(operation: "test truncate", code: errno) }
        let copier = DirectRangeCopier(places: Self.ownPlaces(), reads: direct ? .direct : .buffered)
        #expect(try copier.copy(from: sourceFile, at: 4_097, length: 16 << 20, to: fd) == .sourceEnded)
        #expect(try contents(fd).count == 1)
        #expect(lseek(fd, 0, SEEK_CUR) == 1)
        #expect(!Self.isDirect(fd) && !Self.isDirect(sourceFile))
    }

    /// EINVAL from a direct read (a file system or alignment that refuses it): the rest of the
    /// run is read through the page cache.
    @Test func aRefusedDirectReadFallsBackToThePageCache() throws {
        let fd = try destination(preamble: 0)
        defer { close(fd) }
        let copier = DirectRangeCopier(places: Self.ownPlaces(), reads: .direct) { _, count, isDirect throws(LocalFSError) in
            if isDirect { throw .system(operation: "test read", code: EINVAL) }
            return count
        }
        #expect(try copier.copy(from: sourceFile, at: 3, length: 10 << 20, to: fd) == .copied)
        #expect(try contents(fd) == Array(source[3..<(3 + (10 << 20))]))
        #expect(copier.directReadBytes == 0 && copier.cachedReadBytes == 10 << 20)
        #expect(!Self.isDirect(sourceFile))
    }

    /// EINVAL from a direct write: the destination writes the rest through the page cache.
    @Test func aRefusedDirectWriteFallsBackToThePageCache() throws {
        let fd = try destination(preamble: 10)
        defer { close(fd) }
        let copier = DirectRangeCopier(places: Self.ownPlaces(), makeStaging: {
            DirectWriteStaging { _, count throws(PipelineError) in
                // As a device that refuses direct writes: only while O_DIRECT is on.
                guard !Self.isDirect(fd) else { throw .destinationFailed(operation: "pwrite", errno: EINVAL, detail: "test") }
                return count
            }
        }, reads: .direct)
        #expect(try copier.copy(from: sourceFile, at: 0, length: 9 << 20, to: fd) == .copied)
        #expect(Array(try contents(fd)[10...]) == Array(source[0..<(9 << 20)]))
        #expect(!Self.isDirect(fd))
    }

    /// A temp file that cannot take direct writes (here: write-only, so the block the run starts
    /// in cannot be read back) is left untouched, and `SyncedRangeCopier` copies the run with
    /// copy_file_range(2) instead, from then on.
    @Test func aDestinationRefusingDirectWritesIsCopiedInTheKernel() throws {
        let fd = try destination(preamble: 13, flags: O_WRONLY)
        let copier = DirectRangeCopier(places: Self.ownPlaces(), reads: .direct)
        #expect(try copier.copy(from: sourceFile, at: 0, length: 9 << 20, to: fd) == .refused)
        #expect(lseek(fd, 0, SEEK_CUR) == 13)

        let (tree, ranges, location) = try syncedCopier(into: fd, from: 4_000)
        defer { withExtendedLifetime(tree) {} }
        #expect(try ranges.copy(location, length: 9 << 20) == .copied)
        #expect(ranges.directCopier == nil, "not tried again for this temp file")
        #expect(try ranges.confirm())
        #expect(Array(try contents(fd)[13...]) == Array(source[4_000..<(4_000 + (9 << 20))]))
    }

    /// A `SyncedRangeCopier` into `fd` with a direct copier of its own places, over a tree
    /// whose `old.bin` holds `source`, and the location of old.bin's bytes from `offset` (the
    /// tree is returned so that it outlives the copies).
    func syncedCopier(into fd: Int32, from offset: Int64) throws -> (TemporaryTree, SyncedRangeCopier, ChunkLocation) {
        let tree = try TemporaryTree()
        try tree.write("old.bin", bytes: source)
        let ranges = SyncedRangeCopier(
            root: try tree.root(), destination: LocalFileDescriptor(adopting: fd), faultHook: nil,
            directCopier: DirectRangeCopier(places: Self.ownPlaces()))
        let location = ChunkLocation(
            path: "old.bin", offset: offset, length: 1, identity: LocalIdentity(FileMetadata(try tree.lstat("old.bin"))))
        return (tree, ranges, location)
    }

    /// Copiers beyond the places copy nothing (`busy`: the caller copies in the kernel) until
    /// one releases its buffers; a copier keeps its place and buffers for its file's next run.
    @Test func copiersBeyondThePlacesAreBusyUntilOneReleases() throws {
        let places = DirectRangeCopier.Places(maximum: 2)
        let copiers = (0..<3).map { _ in DirectRangeCopier(places: places, reads: .buffered) }
        let files = try (0..<3).map { _ in try destination(preamble: 0) }
        defer { files.forEach { close($0) } }
        #expect(try copiers[0].copy(from: sourceFile, at: 0, length: 8 << 20, to: files[0]) == .copied)
        #expect(try copiers[1].copy(from: sourceFile, at: 0, length: 8 << 20, to: files[1]) == .copied)
        #expect(try copiers[2].copy(from: sourceFile, at: 0, length: 8 << 20, to: files[2]) == .busy)
        #expect(try contents(files[2]).isEmpty)
        #expect(try copiers[0].copy(from: sourceFile, at: 8 << 20, length: 8 << 20, to: files[0]) == .copied, "its place kept")
        copiers[0].release()
        #expect(try copiers[2].copy(from: sourceFile, at: 5, length: 9 << 20, to: files[2]) == .copied)
        #expect(try contents(files[0]) == Array(source[0..<(16 << 20)]))
        #expect(try contents(files[2]) == Array(source[5..<(5 + (9 << 20))]))
    }

    /// Through `SyncedRangeCopier`: a long run is copied directly; the source changed after the
    /// copy fails the confirmation as with the kernel's copy.
    @Test func aLongRunIsCopiedDirectlyAndItsSourceStillConfirmed() throws {
        let fd = try destination(preamble: 0)
        let (tree, ranges, location) = try syncedCopier(into: fd, from: 1)
        #expect(try ranges.copy(location, length: 19 << 20) == .copied)
        let copier = try #require(ranges.directCopier)
        #expect(copier.directReadBytes + copier.cachedReadBytes == 19 << 20, "copied by the direct copier")
        #expect(try ranges.confirm())
        #expect(try contents(fd) == Array(source[1..<(1 + (19 << 20))]))
        try SyncEngineDeltaCopyTests.overwrite(tree.absolute("old.bin"), at: 5, with: [9])
        #expect(try !ranges.confirm())
    }
}
