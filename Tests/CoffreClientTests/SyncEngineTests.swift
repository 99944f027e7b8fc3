@testable import CoffreClient
import CoffreProtocol
import Foundation
import Glibc
import Synchronization
import Testing

/// Two devices on one server: what one does to its folder reaches the other (issue 6).
@Suite struct SyncEngineTests {
    @Test func createEditAndDeleteReachTheOtherDevice() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let readings = Mutex<[SyncProgress]>([])
        let beta = try await world.device("beta") { configuration in
            configuration.progress = { reading in readings.withLock { $0.append(reading) } }
        }
        try alpha.tree.folder("docs")
        try alpha.tree.folder("docs/empty")
        try alpha.tree.write("docs/notes.txt", "first notes")
        try alpha.tree.write("run.sh", "#!/bin/sh\necho hi\n", mode: 0o755)
        try alpha.tree.write("empty.bin", bytes: [])
        try alpha.tree.write("big.bin", bytes: Self.pseudoRandom(200_000, seed: 1))
        try alpha.tree.symlink("docs/latest", to: "notes.txt")
        try alpha.tree.setModificationTime("docs/notes.txt", seconds: 1_500_000_000)

        let first = try await alpha.sync()
        #expect(first.uploadedFiles == 4)
        #expect(first.skipped.isEmpty)
        let received = try await beta.sync()
        #expect(received.downloadedFiles == 4)
        let downloads = readings.withLock { $0 }.filter { $0.phase == .downloading }
        #expect(downloads.last == SyncProgress(phase: .downloading, filesDone: 4, filesTotal: 4, bytesDone: 200_029, bytesTotal: 200_029))
        #expect(try beta.contents() == alpha.contents())
        #expect(try beta.contents()["docs/notes.txt"] == .file(bytes: Array("first notes".utf8), mode: 0o644, mtime: 1_500_000_000_000_000_000))
        #expect(try beta.tree.lstat("run.sh").st_mode & 0o777 == 0o755)

        try alpha.tree.write("docs/notes.txt", "second notes, longer")
        try alpha.tree.remove("empty.bin")
        try alpha.tree.remove("docs/empty")
        try await alpha.sync()
        try await beta.sync()
        #expect(try beta.contents() == alpha.contents())
        #expect(try beta.tree.read("docs/notes.txt") == "second notes, longer")
        #expect(!beta.tree.exists("empty.bin") && !beta.tree.exists("docs/empty"))

        // Nothing left to do on either side.
        for device in [alpha, beta] {
            let again = try await device.sync()
            #expect(again.isIdentical && again.changedNothing && again.uploadedBytes == 0 && again.downloadedBytes == 0)
        }
    }

    @Test func aMoveIsAMoveWithoutReupload() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        try alpha.tree.folder("inbox")
        try alpha.tree.folder("archive")
        try alpha.tree.write("inbox/report.pdf", bytes: Self.pseudoRandom(150_000, seed: 2))
        try alpha.tree.folder("inbox/photos")
        try alpha.tree.write("inbox/photos/cat.jpg", bytes: Self.pseudoRandom(50_000, seed: 3))
        try await alpha.sync()
        try await beta.sync()
        let ids = try await world.liveEntries().map(\.entryId)

        world.shelf.resetCounters()
        try alpha.tree.rename("inbox/report.pdf", "archive/report 2024.pdf")
        try alpha.tree.rename("inbox/photos", "archive/pictures")
        let moved = try await alpha.sync()
        #expect(moved.uploadedFiles == 0 && moved.remoteChanges == 2)
        #expect(world.shelf.counters.blobsPut == 0)
        let received = try await beta.sync()
        #expect(received.downloadedFiles == 0 && world.shelf.counters.blobsFetched == 0)
        #expect(try beta.contents() == alpha.contents())
        #expect(beta.tree.exists("archive/pictures/cat.jpg") && !beta.tree.exists("inbox/photos"))
        // The same entries, moved: no entry was deleted and created again.
        let after = try await world.liveEntries().map(\.entryId)
        #expect(Set(after) == Set(ids))
    }

    @Test func caseOnlyRenamesAndModeChangesTravelAsMetadata() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        try alpha.tree.write("readme", "read me")
        try alpha.tree.write("tool", "#!/bin/sh\n")
        try await alpha.sync()
        try await beta.sync()

        world.shelf.resetCounters()
        try alpha.tree.rename("readme", "README")
        #expect(chmod(alpha.tree.absolute("tool"), 0o755) == 0)
        try await alpha.sync()
        try await beta.sync()
        #expect(world.shelf.counters.blobsPut == 0 && world.shelf.counters.blobsFetched == 0)
        #expect(try beta.tree.names().filter { $0 != ".coffre" } == ["README", "tool"])
        #expect(try beta.contents() == alpha.contents())
        #expect(try beta.tree.lstat("tool").st_mode & 0o777 == 0o755)
    }

    @Test func nfdNamesOnDiskAreTheSameEntryAsTheirNFCForm() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        let nfd = "Re\u{301}sume\u{301}.txt"
        let nfc = "R\u{E9}sum\u{E9}.txt"
        try alpha.tree.write(nfd, "cv")
        try await alpha.sync()
        try await beta.sync()
        // The vault holds the NFC name; beta writes it so.
        #expect(try FileManager.default.contentsOfDirectory(atPath: beta.tree.path).filter { $0 != ".coffre" }.map { Array($0.utf8) }
            == [Array(nfc.utf8)])

        try beta.tree.write(nfc, "cv, updated")
        try await beta.sync()
        let applied = try await alpha.sync()
        #expect(applied.downloadedFiles == 1 && applied.conflicts.isEmpty)
        // Alpha's decomposed file was updated in place; no NFC twin appeared.
        #expect(try FileManager.default.contentsOfDirectory(atPath: alpha.tree.path).filter { $0 != ".coffre" }.map { Array($0.utf8) }
            == [Array(nfd.utf8)])
        #expect(try alpha.tree.read(nfd) == "cv, updated")

        // A third device that already has the file, NFD on disk, adopts it without a conflict.
        let gamma = try await world.device("gamma")
        try gamma.tree.write(nfd, "cv, updated")
        let adopted = try await gamma.sync()
        #expect(adopted.conflicts.isEmpty && adopted.downloadedFiles == 0 && adopted.uploadedFiles == 0)
        let live = try await world.liveEntries()
        #expect(live.count == 1)
    }

    @Test func twoLocalNamesEqualInNFCSyncOnceAndReportTheOther() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        try alpha.tree.write("caf\u{E9}.txt", "composed")
        try alpha.tree.write("cafe\u{301}.txt", "decomposed")
        let report = try await alpha.sync()
        #expect(report.skipped.count == 1 && report.skipped.first?.reason == .nameCollision)
        let live = try await world.liveEntries()
        #expect(live.count == 1)
        // The next pass reports it again and changes nothing.
        let again = try await alpha.sync()
        #expect(again.changedNothing && again.skipped.count == 1)
    }

    @Test func symlinksAreStoredAsLinksAndNeverFollowed() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        try alpha.tree.folder("links")
        try alpha.tree.symlink("links/up", to: "../outside/secret")
        try alpha.tree.symlink("links/passwd", to: "/etc/passwd")
        try alpha.tree.symlink("links/self", to: "self")
        try await alpha.sync()
        let received = try await beta.sync()
        #expect(received.skipped.isEmpty)
        let contents = try beta.contents()
        #expect(contents["links/up"] == .symlink(target: "../outside/secret"))
        #expect(contents["links/passwd"] == .symlink(target: "/etc/passwd"))
        #expect(contents["links/self"] == .symlink(target: "self"))

        try alpha.tree.remove("links/passwd")
        try alpha.tree.symlink("links/passwd", to: "/etc/hostname")
        try await alpha.sync()
        try await beta.sync()
        #expect(try beta.contents()["links/passwd"] == .symlink(target: "/etc/hostname"))
    }

    @Test func namesWithSpacesUnicodeAndTheLongestLength() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        let beta = try await world.device("beta")
        let long = String(repeating: "é", count: 125) + "12345"  // 255 bytes
        let names = ["with spaces.txt", "日本語のファイル.md", "emoji 🎉.txt", long, " leading space", "trailing.dot."]
        try alpha.tree.folder("a folder with spaces")
        for name in names { try alpha.tree.write("a folder with spaces/" + name, name) }
        try await alpha.sync()
        try await beta.sync()
        #expect(try beta.contents() == alpha.contents())
        #expect(try beta.tree.read("a folder with spaces/" + long) == long)
    }

    @Test func ignoreRulesApplyOnBothSides() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha") { $0.scanOptions.includesDefaultIgnorePatterns = false }
        let beta = try await world.device("beta")
        try alpha.tree.write(".coffreignore", "*.log\nbuild/\n")
        try alpha.tree.write("app.log", "noise")
        try alpha.tree.folder("build")
        try alpha.tree.write("build/out.o", "object")
        try alpha.tree.write("notes.txt.swp", "swap file")
        try alpha.tree.write("kept.txt", "kept")
        try await alpha.sync()
        // The ignore file itself syncs; ignored paths never reach the vault.
        let names = try await world.liveEntries().count
        #expect(names == 3)  // .coffreignore, notes.txt.swp (alpha has no defaults), kept.txt
        let received = try await beta.sync()
        // Beta's built-in defaults ignore swap files: the vault's one is not downloaded.
        #expect(!beta.tree.exists("notes.txt.swp"))
        #expect(beta.tree.exists("kept.txt") && beta.tree.exists(".coffreignore"))
        #expect(received.downloadedFiles == 2)
        // Beta's own ignored file stays local.
        try beta.tree.write("debug.log", "local only")
        try await beta.sync()
        let after = try await world.liveEntries()
        #expect(after.count == 3)
    }

    @Test func theSecondEngineOnAFolderIsRefused() async throws {
        let world = try await SyncWorld()
        let alpha = try await world.device("alpha")
        await #expect(throws: SyncClientError.self) {
            _ = try await SyncEngine(configuration: alpha.configuration, remote: alpha.remote, openGrant: world.grantOpener)
        }
    }

    static func pseudoRandom(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        // A while loop, not `map` over a range (generic calls per byte in debug builds).
        var bytes = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes[index] = UInt8(truncatingIfNeeded: state)
            index += 1
        }
        return bytes
    }
}
