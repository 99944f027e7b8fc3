@testable import CoffreClient
import Foundation
import Glibc
import Testing

/// `SyncedRangeCopier` on its own: what it copies, and each way a source fails its proof.
@Suite struct SyncedRangeCopierTests {
    /// A tree with `source.bin` (64 KiB) and an empty `target.bin` open for writing.
    struct Fixture {
        let tree: TemporaryTree
        let source: [UInt8]
        let target: LocalFileDescriptor
        let copier: SyncedRangeCopier

        init() throws {
            tree = try TemporaryTree()
            source = SyncEngineTests.pseudoRandom(65_536, seed: 5)
            try tree.write("source.bin", bytes: source)
            let fd = open(tree.absolute("target.bin"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw LocalFSError.system(operation: "test open", code: errno) }
            target = LocalFileDescriptor(adopting: fd)
            copier = SyncedRangeCopier(root: try tree.root(), destination: target, faultHook: nil)
        }

        /// Where `source.bin` holds `length` bytes from `offset`, as the index would record it now.
        func location(offset: Int64, length: UInt32) throws -> ChunkLocation {
            ChunkLocation(path: "source.bin", offset: offset, length: length, identity: LocalIdentity(FileMetadata(try tree.lstat("source.bin"))))
        }

        func written() throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: tree.absolute("target.bin")))) }
    }

    @Test func copiesRangesInOrderAndConfirmsAnUnchangedSource() throws {
        let fixture = try Fixture()
        #expect(try fixture.copier.copy(fixture.location(offset: 1_000, length: 20_000), length: 20_000) == .copied)
        #expect(try fixture.copier.copy(fixture.location(offset: 0, length: 10), length: 10) == .copied)
        #expect(try fixture.copier.confirm())
        #expect(try fixture.written() == Array(fixture.source[1_000..<21_000] + fixture.source[0..<10]))
    }

    @Test func aSourceWithoutARecordedCtimeOrAnotherIdentityIsNotUsed() throws {
        let fixture = try Fixture()
        var unknown = try fixture.location(offset: 0, length: 100)
        unknown = ChunkLocation(
            path: unknown.path, offset: 0, length: 100,
            identity: LocalIdentity(
                inode: unknown.identity.inode, device: unknown.identity.device, size: unknown.identity.size,
                modificationTime: unknown.identity.modificationTime, mode: unknown.identity.mode))
        #expect(!SyncedRangeCopier.canProve(unknown))
        #expect(try fixture.copier.copy(unknown, length: 100) == .unavailable)

        var recorded = try fixture.location(offset: 0, length: 100).identity
        recorded.changeTime -= 1
        let stale = ChunkLocation(path: "source.bin", offset: 0, length: 100, identity: recorded)
        #expect(try fixture.copier.copy(stale, length: 100) == .unavailable)
        #expect(try fixture.written().isEmpty, "nothing written for a source that fails its check")
    }

    @Test func aSourceChangedAfterItsCheckFailsTheConfirmation() throws {
        let fixture = try Fixture()
        let location = try fixture.location(offset: 0, length: 4_096)
        #expect(try fixture.copier.copy(location, length: 4_096) == .copied)
        try SyncEngineDeltaCopyTests.overwrite(fixture.tree.absolute("source.bin"), at: 50_000, with: [1, 2, 3])
        #expect(try !fixture.copier.confirm(), "size and mtime put back, the ctime moved")
    }

    @Test func aSourceShorterThanItsRangeIsReportedChanged() throws {
        let fixture = try Fixture()
        let location = try fixture.location(offset: 60_000, length: 5_536)
        // Checked (opened) by a first copy, then truncated: the next range runs past its end.
        #expect(try fixture.copier.copy(try fixture.location(offset: 0, length: 10), length: 10) == .copied)
        guard truncate(fixture.tree.absolute("source.bin"), 61_000) == 0 else { throw LocalFSError.system(operation: "test truncate", code: errno) }
        #expect(try fixture.copier.copy(location, length: 5_536) == .sourceChanged)
        #expect(try !fixture.copier.confirm())
    }
}
