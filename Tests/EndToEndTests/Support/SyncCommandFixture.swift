import Foundation
import Glibc
import Testing

/// A coffred, its users, their devices (`COFFRE_HOME`s) and their synced folders, driven only
/// through the `coffre` and `coffre-admin` binaries (accounts at the test KDF cost). Builds on
/// `AccountCommandsTests.Setting`.
final class SyncCommandFixture: @unchecked Sendable {
    // @unchecked Sendable: used by one test at a time, sequentially.
    let setting: AccountCommandsTests.Setting
    let folders: String
    static let password = AccountCommandsTests.password

    init() throws {
        setting = try AccountCommandsTests.Setting()
        folders = CoffredProcess.temporaryDirectory("coffre-folders")
    }

    deinit { try? FileManager.default.removeItem(atPath: folders) }

    /// A new user whose first device is `device`.
    func account(_ user: String, device: String) async throws {
        let added = try await setting.admin("user", "add", user)
        try #require(added.status == 0, "\(added)")
        let setup = try await coffre(
            device,
            ["account", "setup", "--server", setting.url, "--user", user, "--invite", try AccountCommandsTests.inviteCode(in: added.stdout),
             "--device-name", device, "--kdf-cost", "test"])
        try #require(setup.status == 0, "\(setup)")
    }

    /// Another device of `user`.
    func login(_ user: String, device: String) async throws {
        let login = try await coffre(device, ["login", "--server", setting.url, "--user", user, "--device-name", device, "--kdf-cost", "test"])
        try #require(login.status == 0, "\(login)")
    }

    /// Runs `coffre` as `device` with the account password in `COFFRE_PASSWORD`.
    func coffre(_ device: String, _ arguments: [String]) async throws -> CommandLineTool.Run {
        try await setting.coffre(device, password: Self.password, arguments)
    }

    /// `coffre sync FOLDER --vault VAULT --once` as `device`.
    func syncOnce(_ device: String, _ folder: String, vault: String? = nil) async throws -> CommandLineTool.Run {
        try await coffre(device, ["sync", path(folder), "--once"] + (vault.map { ["--vault", $0] } ?? []))
    }

    /// Starts `coffre sync FOLDER --vault VAULT` (the daemon, or `--once` with `extra`) as `device`.
    func startSync(_ device: String, _ folder: String, vault: String, extra: [String] = []) throws -> RunningTool {
        try RunningTool(
            "coffre", ["sync", path(folder), "--vault", vault] + extra,
            environment: ["COFFRE_HOME": setting.home(device), "COFFRE_PASSWORD": Self.password])
    }

    /// The absolute path of a test folder.
    func path(_ folder: String) -> String { folders + "/" + folder }

    /// Writes `text` at `relative` in `folder`, creating the folders above it.
    func write(_ text: String, at relative: String, in folder: String) throws {
        let url = URL(fileURLWithPath: path(folder) + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// Every file and folder under `folder` (without `.coffre`): relative path → content
    /// (`/` for a folder).
    func tree(_ folder: String) throws -> [String: String] {
        let root = path(folder)
        var result: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [:] }
        while let relative = walker.nextObject() as? String {
            if relative == ".coffre" || relative.hasPrefix(".coffre/") {
                walker.skipDescendants()
                continue
            }
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isFolder)
            result[relative] = isFolder.boolValue ? "/" : try String(contentsOfFile: root + "/" + relative, encoding: .utf8)
        }
        return result
    }

    /// Waits until `condition` holds (checked every 50 ms), for at most `seconds`: for
    /// changes a daemon makes in the background. Not a timing assertion: the limit only keeps
    /// a broken daemon from hanging the suite.
    func eventually(_ seconds: Double = 60, _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))  // a pause that holds no thread of the pool
        }
        return try condition()
    }
}
