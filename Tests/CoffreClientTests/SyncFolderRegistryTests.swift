@testable import CoffreClient
import CoffreProtocol
import Foundation
import Testing

/// The registry of synced folders in COFFRE_HOME, and what the commands print about passes.
@Suite struct SyncFolderRegistryTests {
    static func vault(_ byte: UInt8) -> VaultID { VaultID(bytes: [UInt8](repeating: byte, count: 16))! }

    @Test func foldersRegisterOnceAndKeepTheirVault() throws {
        let home = try VaultNameAndPinsTests.home()
        defer { try? FileManager.default.removeItem(atPath: home.path) }
        let registry = SyncFolderRegistry(home: home)
        #expect(try registry.folders().isEmpty)
        try registry.register("/data/docs", vault: Self.vault(1))
        try registry.register("/data/docs", vault: Self.vault(1))
        #expect(throws: VaultError.self) { try registry.register("/data/docs", vault: Self.vault(2)) }
        // Sync folders cannot nest, either way: the files would be synced twice.
        #expect(throws: VaultError.self) { try registry.register("/data/docs/inner", vault: Self.vault(2)) }
        #expect(throws: VaultError.self) { try registry.register("/data", vault: Self.vault(2)) }
        try registry.register("/data/doc", vault: Self.vault(3))
        #expect(try registry.folders().count == 2)

        // The folder holding the path; a sibling sharing a prefix is not a parent.
        let inner = try registry.folder(containing: "/data/docs/inner/a/b.txt")
        #expect(inner.folder.vaultId == Self.vault(1) && inner.relative == "inner/a/b.txt")
        #expect(try registry.folder(containing: "/data/docs/x.txt").folder.vaultId == Self.vault(1))
        #expect(try registry.folder(containing: "/data/docs").relative == "")
        #expect(try registry.folder(containing: "/data/doc/x.txt").folder.vaultId == Self.vault(3))
        #expect(throws: VaultError.self) { try registry.folder(containing: "/data/docsy/x.txt") }
        #expect(throws: VaultError.self) { try registry.folder(containing: "/data/other/x.txt") }

        let pass = SyncFolderRegistry.Pass(endedAt: 10, identical: false, conflicts: 2, skipped: 1, failure: nil)
        try registry.record(pass, for: "/data/docs")
        #expect(try registry.folders().first { $0.path == "/data/docs" }?.lastPass == pass)
    }

    @Test func aCorruptedRegistryIsRefused() throws {
        let home = try VaultNameAndPinsTests.home()
        defer { try? FileManager.default.removeItem(atPath: home.path) }
        FileManager.default.createFile(
            atPath: home.path + "/" + SyncFolderRegistry.fileName, contents: Data(#"{"version":2,"folders":[]}"#.utf8),
            attributes: [.posixPermissions: 0o600])
        #expect(throws: VaultError.self) { try SyncFolderRegistry(home: home).folders() }
    }

    @Test(arguments: [
        ("/a/b/../c/./d.txt", "/a/c/d.txt"), ("/a//b///c", "/a/b/c"), ("/../../x", "/x"), ("/", "/"),
    ])
    func pathsAreMadeAbsoluteLexically(_ input: String, _ expected: String) {
        #expect(SyncFolderRegistry.absolute(input) == expected)
    }

    @Test func passReportsSayWhyTheyAreNotClean() {
        var report = SyncReport()
        report.isIdentical = true
        #expect(VaultReport.incompleteness(report) == nil)
        report.conflicts = [SyncConflict(path: "secret.txt", conflictCopy: "secret (conflict x).txt")]
        report.skipped = [SyncSkip(path: "other-secret.txt", reason: .readOnlyVault)]
        let reason = try? #require(VaultReport.incompleteness(report))
        #expect(reason == "1 conflict(s); 1 item(s) left out: read-only vault: your change stays here")
        #expect(reason?.contains("secret") == false, "no file names in the reason")
        // Names from the vault are sanitized before they reach a terminal.
        report.conflicts = [SyncConflict(path: "evil\u{1B}[2J.txt", conflictCopy: "c")]
        #expect(!VaultReport.pass(report).contains("\u{1B}"))
    }

    @Test func progressShowsRateAndTimeLeftOnceMeasurable() {
        let progress = SyncProgress(phase: .uploading, filesDone: 3, filesTotal: 10, bytesDone: 2 << 20, bytesTotal: 6 << 20)
        #expect(VaultReport.progress(progress, elapsed: .milliseconds(100)) == "uploading 3/10 files, 2 MiB/6 MiB")
        #expect(VaultReport.progress(progress, elapsed: .seconds(2)) == "uploading 3/10 files, 2 MiB/6 MiB, 1 MiB/s, 4 s left")
        let scanning = SyncProgress(phase: .scanning, filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0)
        #expect(VaultReport.progress(scanning, elapsed: .seconds(1)) == "scanning the folder…")
        // Hostile numbers (done above total, huge totals) neither crash nor go negative.
        let odd = SyncProgress(phase: .downloading, filesDone: 5, filesTotal: 1, bytesDone: 1, bytesTotal: Int64.max)
        #expect(VaultReport.progress(odd, elapsed: .seconds(1)).hasSuffix("left"))
    }
}
