@testable import CoffreClient
import CoffreProtocol
import Foundation
import Glibc
import Synchronization
import Testing

/// Files that cannot be read or keep changing, delta downloads, and a server that lies.
@Suite struct SyncEngineSafetyTests {
    @Test func anUnreadableFileIsReportedAndNotDeletedRemotely() async throws {
        let world = try await SyncWorld()
        // open(2) failing with EACCES for these paths (the tests run as root, which no
        // permission bit stops).
        let denied = Mutex<Set<String>>(["secret.txt"])
        let alpha = try await world.device("alpha") { configuration in
            configuration.faultHook = { point in
                if case .openingForUpload(let path) = point, denied.withLock({ $0.contains(path) }) {
                    throw LocalFSError.system(operation: "open", code: EACCES)
                }
            }
        }
        let beta = try await world.device("beta")
        try alpha.tree.write("secret.txt", "cannot read")
        try alpha.tree.write("shared.txt", "v1")
        let report = try await alpha.sync()
        #expect(report.skipped == [SyncSkip(path: "secret.txt", reason: .unreadable(errno: EACCES))])
        #expect(!report.isIdentical)
        try await beta.sync()
        #expect(!beta.tree.exists("secret.txt") && beta.tree.exists("shared.txt"))

        // A synced file edited and then unreadable keeps its last synced version remotely.
        _ = denied.withLock { $0.insert("shared.txt") }
        try alpha.tree.write("shared.txt", "v2, unreadable")
        let second = try await alpha.sync()
        #expect(second.skipped.contains(SyncSkip(path: "shared.txt", reason: .unreadable(errno: EACCES))))
        let live = try await world.liveEntries()
        #expect(live.count == 1)
        try await beta.sync()
        #expect(try beta.tree.read("shared.txt") == "v1")
    }

    @Test(.enabled(if: geteuid() != 0, "root reads files whatever their permission bits"))
    func aFileWithoutReadPermissionIsSkipped() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        try alpha.tree.write("locked.txt", "x", mode: 0o000)
        let report = try await alpha.sync()
        #expect(report.skipped == [SyncSkip(path: "locked.txt", reason: .unreadable(errno: EACCES))])
        #expect(try await world.liveEntries().isEmpty)
    }

    @Test func aFileWrittenWhileReadIsRetriedNeverUploadedHalfWritten() async throws {
        let world = try await SyncWorld()
        let appended = Atomic(false)
        let treePath = Mutex("")
        let alpha = try await world.device("alpha") { configuration in
            configuration.faultHook = { point in
                // The first read of growing.log: a writer appends after the reader noted its size.
                guard case .readingForUpload("growing.log") = point, !appended.exchange(true, ordering: .relaxed) else { return }
                let handle = FileHandle(forWritingAtPath: treePath.withLock { $0 } + "/growing.log")!
                handle.seekToEndOfFile()
                handle.write(Data(" and more".utf8))
                handle.closeFile()
            }
        }
        treePath.withLock { $0 = alpha.tree.path }
        let beta = try await world.device("beta")
        try alpha.tree.write("growing.log", "first part")
        let report = try await alpha.sync()
        let didAppend = appended.load(ordering: .relaxed)
        #expect(didAppend)
        #expect(report.rounds >= 2 && report.uploadedFiles == 1 && report.isIdentical)
        try await beta.sync()
        #expect(try beta.tree.read("growing.log") == "first part and more")
    }

    @Test func aSmallEditFetchesOnlyTheChangedChunks() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        // About ninety chunks: an indirect manifest, so its blob changes too.
        let original = SyncEngineTests.pseudoRandom(1_500_000, seed: 7)
        try alpha.tree.write("disk.img", bytes: original)
        try await alpha.sync()
        try await beta.sync()

        world.shelf.resetCounters()
        let handle = try #require(FileHandle(forWritingAtPath: alpha.tree.absolute("disk.img")))
        handle.seek(toFileOffset: 700_000)
        handle.write(Data("ten bytes!".utf8))
        handle.closeFile()
        let upload = try await alpha.sync()
        #expect(upload.uploadedFiles == 1)
        #expect(world.shelf.counters.blobsPut <= 4, "only the changed chunks and the manifest blob go up")
        #expect(upload.uploadedBytes < 200_000)

        world.shelf.resetCounters()
        let download = try await beta.sync()
        #expect(download.downloadedFiles == 1)
        #expect(world.shelf.counters.bytesFetched < 200_000, "changed chunks and the manifest only")
        #expect(download.downloadedBytes == Int64(world.shelf.counters.bytesFetched))
        #expect(download.copiedBytes > 1_300_000)
        #expect(try beta.contents() == alpha.contents())
    }

    @Test func aFeedThatGoesBackIsRefused() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        try alpha.tree.write("a.txt", "a")
        try await alpha.sync()
        try await beta.sync()

        // The server claims fewer commits than beta has seen (an old backup, or hiding some).
        beta.remote.tamperState.withLock { $0 = { summary in var lowered = summary; lowered.seq = 0; return lowered } }
        await #expect(throws: SyncClientError.self) { try await beta.sync() }
        beta.remote.tamperState.withLock { $0 = nil }

        // A page whose cursor is below the request's.
        beta.remote.tamperPage.withLock { $0 = { _ in ChangesPage(entries: [], cursor: 0, hasMore: false) } }
        await #expect(throws: SyncClientError.self) { try await beta.sync() }
        beta.remote.tamperPage.withLock { $0 = nil }
        #expect(try await beta.sync().isIdentical)
    }

    @Test func tamperedBlobsAndSwappedRecordsAreRefused() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        try alpha.tree.write("one.txt", "one")
        try await alpha.sync()
        // The server hands back other bytes for the file's only blob.
        let stored = try #require(world.shelf.storedIDs.first)
        world.shelf.tamper(stored, with: Array(world.shelf.blob(stored)!.reversed()))
        let report = try await beta.sync()
        #expect(report.skipped.count == 1)
        if case .transferFailed = report.skipped.first?.reason {} else { Issue.record("expected a failed transfer, got \(report.skipped)") }
        #expect(try beta.contents().isEmpty, "nothing placed, no temp file left")

        // Records moved between entries fail their associated data.
        try alpha.tree.write("two.txt", "two")
        try alpha.tree.write("three.txt", "three")
        try await alpha.sync()
        beta.remote.tamperPage.withLock {
            $0 = { page in
                var entries = page.entries
                guard entries.count >= 2 else { return page }
                (entries[0].record, entries[1].record) = (entries[1].record, entries[0].record)
                return ChangesPage(entries: entries, cursor: page.cursor, hasMore: page.hasMore)
            }
        }
        let swapped = try await beta.sync()
        #expect(swapped.skipped.filter { $0.reason == .recordUnreadable }.count == 2)
        #expect(!beta.tree.exists("two.txt") && !beta.tree.exists("three.txt"))
    }

    @Test func aFolderWhoseStateIsUnknownIsNotDeleted() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        try alpha.tree.folder("docs")
        try alpha.tree.write("docs/a.txt", "a")
        try await alpha.sync()
        // An ignore file over the 1 MiB limit: the scanner cannot tell what docs holds.
        try alpha.tree.write("docs/.coffreignore", bytes: [UInt8](repeating: UInt8(ascii: "#"), count: 2 << 20))
        let report = try await alpha.sync()
        #expect(report.skipped == [SyncSkip(path: "docs", reason: .stateUnknown(.ignoreFileRejected))])
        let live = try await world.liveEntries()
        #expect(live.count == 2)
    }

    @Test func leftoverTempFilesAreRemoved() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        try alpha.tree.folder("sub")
        try alpha.tree.write(".coffre-tmp-0123456789abcdef01234567", "half a download")
        try alpha.tree.write("sub/.coffre-tmp-aaaaaaaaaaaaaaaaaaaaaaaa", "another")
        let report = try await alpha.sync()
        #expect(report.isIdentical)
        #expect(try alpha.contents() == ["sub": .folder])
    }

    @Test func remoteNamesThisFolderCannotHoldAreSkipped() async throws {
        let world = try await SyncWorld()
        let beta = try await world.device("beta")
        let keyring = try await #require(beta.engine).keyring()
        // Valid records (names up to 1,024 bytes) that a Linux folder cannot or must not hold.
        for name in [String(repeating: "x", count: 300), ".coffre", ".coffre-tmp-planted", "fine"] {
            let id = LocalPlanner.newEntryID()
            let record = EntryRecord(kind: .folder, name: name, modificationTime: 0, mode: 0o755, size: 0)
            let change = EntryChange(
                entryId: id, baseRev: 0, parentId: .root, kind: .folder, nameTag: try keyring.nameTag(name, parent: .root),
                record: Base64Bytes(try keyring.sealRecord(record, entry: id, parent: .root, generation: 1)))
            _ = try await world.store.commit(world.vaultID, user: 1, CommitRequest(changes: [change]))
        }
        let report = try await beta.sync()
        #expect(report.skipped.filter { $0.reason == .nameNotUsable }.count == 3)
        #expect(try beta.contents() == ["fine": .folder])
    }
}
