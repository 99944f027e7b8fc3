@testable import CoffreClient
import CoffreProtocol
import Foundation
import Glibc
import Synchronization
import Testing

/// Delta downloads that copy the unchanged runs of the old file on the proof of its metadata
/// (`SyncedRangeCopier`): taken for a small edit, and never trusted when the old file was
/// edited, truncated or replaced before the first check, between the checks, or after the copy
/// — whatever the timing, the placed file is the remote version, byte for byte.
@Suite struct SyncEngineDeltaCopyTests {
    /// Two devices that agree on `disk.img` (about ninety chunks), then alpha's 10-byte edit
    /// in its middle, published; beta has not synced it yet.
    struct EditedWorld {
        let world: SyncWorld
        let alpha: SyncDevice
        let beta: SyncDevice
        let edited: [UInt8]
    }

    /// `size` bytes, edited at `editAt` (a larger file's runs are long enough to be copied with
    /// direct I/O, `DirectRangeCopier`).
    static func editedWorld(size: Int = 1_500_000, editAt: Int = 700_000) async throws -> EditedWorld {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        var bytes = SyncEngineTests.pseudoRandom(size, seed: 21)
        try alpha.tree.write("disk.img", bytes: bytes)
        try await alpha.sync()
        try await beta.sync()
        let handle = try #require(FileHandle(forWritingAtPath: alpha.tree.absolute("disk.img")))
        handle.seek(toFileOffset: UInt64(editAt))
        handle.write(Data("ten bytes!".utf8))
        handle.closeFile()
        bytes.replaceSubrange(editAt..<(editAt + 10), with: Array("ten bytes!".utf8))
        try await alpha.sync()
        world.shelf.resetCounters()
        return EditedWorld(world: world, alpha: alpha, beta: beta, edited: bytes)
    }

    /// Writes `bytes` at `offset` in place and puts the mtime back as it was: size and mtime
    /// say "unchanged", only the ctime tells.
    static func overwrite(_ path: String, at offset: Int, with bytes: [UInt8]) throws {
        var before = stat()
        guard stat(path, &before) == 0 else { throw LocalFSError.system(operation: "test stat", code: errno) }
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { throw LocalFSError.system(operation: "test open", code: errno) }
        defer { close(fd) }
        guard bytes.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }) == bytes.count else {
            throw LocalFSError.system(operation: "test pwrite", code: errno)
        }
        try restoreModificationTime(of: fd, to: before)
    }

    static func restoreModificationTime(of fd: Int32, to info: stat) throws {
        var times = [info.st_atim, info.st_mtim]
        guard futimens(fd, &times) == 0 else { throw LocalFSError.system(operation: "test futimens", code: errno) }
    }

    /// Every point a pass reached, in order.
    final class Trail: Sendable {
        private let points = Mutex<[SyncFaultPoint]>([])

        func add(_ point: SyncFaultPoint) -> Int {
            points.withLock { points in
                points.append(point)
                return points.filter { $0 == point }.count
            }
        }

        func count(_ point: SyncFaultPoint) -> Int { points.withLock { $0.filter { $0 == point }.count } }
    }

    /// A hook that records the points reached and runs `action` at the first call at `point`.
    static func hook(_ trail: Trail, at point: SyncFaultPoint, _ action: @escaping @Sendable () throws -> Void = {}) -> SyncFaultHook {
        { reached in
            if trail.add(reached) == 1, reached == point { try action() }
        }
    }

    /// The regular files of a tree, by path.
    /// After B's old file was changed under a copy: B syncs (its change meets the remote
    /// edit), A takes B's side, B settles. Expects the edited file placed on B and both
    /// devices alike; returns B's files for the caller's own checks.
    static func settle(_ setup: EditedWorld) async throws -> [String: [UInt8]] {
        try await setup.beta.sync()
        try await setup.alpha.sync()
        try await setup.beta.sync()
        let files = try Self.files(setup.beta)
        let placed = files["disk.img"] == setup.edited
        #expect(placed)
        let same = try setup.beta.contents() == setup.alpha.contents()
        #expect(same)
        return files
    }

    static func files(_ device: SyncDevice) throws -> [String: [UInt8]] {
        try device.contents().compactMapValues { item in
            if case .file(let bytes, _, _) = item { return bytes }
            return nil
        }
    }

    @Test func aSmallEditCopiesTheRestOnMetadata() async throws {
        let setup = try await Self.editedWorld()
        let trail = Trail()
        try await setup.beta.restart(hook: Self.hook(trail, at: .beforePlacement))
        let download = try await setup.beta.sync()
        #expect(download.downloadedFiles == 1 && download.isIdentical)
        #expect(trail.count(.copyingUnchangedRange(path: "disk.img")) >= 1, "runs copied, not read and verified")
        #expect(trail.count(.unchangedRangesCopied) == 1)
        #expect(setup.world.shelf.counters.bytesFetched < 200_000, "the changed chunks and the manifest only")
        #expect(download.copiedBytes > 1_300_000)
        let same = try setup.beta.contents() == setup.alpha.contents()
        #expect(same)
    }

    /// 24 MB edited in its middle: both unchanged runs are over 8 MiB, copied with direct I/O,
    /// the second starting mid-block after the fetched chunk; placed byte for byte.
    @Test func aLargeFileIsCopiedDirectly() async throws {
        let setup = try await Self.editedWorld(size: 24_000_000, editAt: 12_000_000)
        let download = try await setup.beta.sync()
        #expect(download.downloadedFiles == 1)
        #expect(download.copiedBytes > 20_000_000)
        #expect(setup.world.shelf.counters.bytesFetched < 5_000_000, "the changed chunk and the manifest only")
        let placed = try Self.files(setup.beta)["disk.img"] == setup.edited
        #expect(placed)
        #expect(try setup.beta.tree.names().allSatisfy { !$0.hasPrefix(ReservedNames.temporaryPrefix) })
    }

    /// The same file edited locally between the checks, or truncated during the copy: never a
    /// mixed file.
    @Test(arguments: [SyncFaultPoint.unchangedRangesCopied, .copyingUnchangedRange(path: "disk.img")])
    func aLargeFileChangedDuringADirectCopyIsWrittenAgain(at point: SyncFaultPoint) async throws {
        let setup = try await Self.editedWorld(size: 24_000_000, editAt: 12_000_000)
        let old = setup.beta.tree.absolute("disk.img")
        let trail = Trail()
        try await setup.beta.restart(
            hook: Self.hook(trail, at: point) {
                if point == .unchangedRangesCopied {
                    try Self.overwrite(old, at: 100_000, with: Array("XXXXXXXXXX".utf8))
                } else {
                    guard truncate(old, 9_000_000) == 0 else { throw LocalFSError.system(operation: "test truncate", code: errno) }
                }
            })
        let files = try await Self.settle(setup)
        #expect(files.values.allSatisfy { $0.count == setup.edited.count || $0.count == 9_000_000 }, "no mixed file")
    }

    @Test func anOldFileEditedBeforeTheCheckIsReadAndVerified() async throws {
        let setup = try await Self.editedWorld()
        // Size and mtime as agreed, other bytes: only the ctime can tell.
        try Self.overwrite(setup.beta.tree.absolute("disk.img"), at: 100_000, with: Array("XXXXXXXXXX".utf8))
        let trail = Trail()
        try await setup.beta.restart(hook: Self.hook(trail, at: .beforePlacement))
        let download = try await setup.beta.sync()
        #expect(trail.count(.copyingUnchangedRange(path: "disk.img")) == 0, "the old file failed its first check")
        #expect(download.downloadedFiles == 1)
        let placed = try Self.files(setup.beta)["disk.img"] == setup.edited
        #expect(placed, "the edited chunk fetched, not copied")
    }

    @Test(arguments: [SyncFaultPoint.copyingUnchangedRange(path: "disk.img"), .unchangedRangesCopied])
    func anOldFileEditedBetweenTheChecksIsWrittenAgain(at point: SyncFaultPoint) async throws {
        let setup = try await Self.editedWorld()
        let old = setup.beta.tree.absolute("disk.img")
        let trail = Trail()
        try await setup.beta.restart(
            hook: Self.hook(trail, at: point) {
                try Self.overwrite(old, at: 100_000, with: Array("XXXXXXXXXX".utf8))
            })
        let download = try await setup.beta.sync()
        #expect(download.downloadedFiles == 1)
        #expect(trail.count(.unchangedRangesCopied) == 1, "the second assembly copies nothing on metadata")
        #expect(download.copiedBytes < 1_500_000, "the dropped first assembly's copies are not counted")
        let placed = try Self.files(setup.beta)["disk.img"] == setup.edited
        #expect(placed)
        #expect(try setup.beta.tree.names().allSatisfy { !$0.hasPrefix(ReservedNames.temporaryPrefix) })
    }

    @Test func anOldFileTruncatedDuringTheCopyIsNotTrusted() async throws {
        let setup = try await Self.editedWorld()
        let old = setup.beta.tree.absolute("disk.img")
        let trail = Trail()
        try await setup.beta.restart(
            hook: Self.hook(trail, at: .copyingUnchangedRange(path: "disk.img")) {
                guard truncate(old, 1_000) == 0 else { throw LocalFSError.system(operation: "test truncate", code: errno) }
            })
        // The truncation is a local edit against the remote one: a conflict, both kept whole.
        let files = try await Self.settle(setup)
        #expect(files.values.allSatisfy { $0 == setup.edited || $0 == Array(setup.edited[0..<1_000]) }, "no mixed file")
    }

    @Test func anOldFileReplacedDuringTheCopyIsNotTrusted() async throws {
        let setup = try await Self.editedWorld()
        let (other, old) = (setup.beta.tree.absolute("other.img"), setup.beta.tree.absolute("disk.img"))
        let replacement = SyncEngineTests.pseudoRandom(1_500_000, seed: 99)
        let trail = Trail()
        try await setup.beta.restart(
            hook: Self.hook(trail, at: .copyingUnchangedRange(path: "disk.img")) {
                try Data(replacement).write(to: URL(fileURLWithPath: other))
                guard rename(other, old) == 0 else { throw LocalFSError.system(operation: "test rename", code: errno) }
            })
        try await setup.beta.sync()
        try await setup.alpha.sync()
        try await setup.beta.sync()
        let files = try Self.files(setup.beta)
        #expect(files.values.allSatisfy { $0 == setup.edited || $0 == replacement }, "no mixed file")
        #expect(files.values.contains(setup.edited) && files.values.contains(replacement), "both versions kept")
        let same = try setup.beta.contents() == setup.alpha.contents()
        #expect(same)
    }

    @Test(arguments: [SyncFaultPoint.copyingUnchangedRange(path: "disk.img"), .unchangedRangesCopied])
    func aDeltaCopyStoppedAnywhereResumes(at point: SyncFaultPoint) async throws {
        let setup = try await Self.editedWorld()
        try await setup.beta.restart(hook: SyncEngineCrashTests.crash(at: point))
        await #expect(throws: SyncEngineCrashTests.SimulatedCrash.self) { try await setup.beta.sync() }
        try await setup.beta.restart()
        let resumed = try await setup.beta.sync()
        #expect(resumed.conflicts.isEmpty && resumed.skipped.isEmpty && resumed.downloadedFiles == 1)
        // Equal contents also means no temp file was left behind.
        let same = try setup.beta.contents() == setup.alpha.contents()
        #expect(same)
        #expect(try await setup.beta.sync().isIdentical)
    }
}
