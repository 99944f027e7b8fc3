@testable import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Foundation
import Glibc
import Testing

/// `coffre dav` on the real binaries: coffred, an account made with `coffre account setup`, a
/// vault created through the API (name sealed as `coffre dav` resolves it), then litmus (every
/// suite) and rclone against the gateway, and a second device's sync engine on the same vault.
@Suite("coffre dav over a vault (real binaries)", .serialized)
struct WebDAVVaultTests {
    static let password = "e2e-Dav-\(UUID().uuidString)"

    /// coffred, one account and one vault.
    final class Setting: @unchecked Sendable {
        // @unchecked Sendable: used by one test at a time, sequentially.
        let server: CoffredProcess
        let url: String
        let work: String
        let vaultID: VaultID
        let client: SyncAPIClient
        let openGrant: @Sendable (WrappedVaultKey) throws -> VaultKey

        var home: String { work + "/home" }

        init(vaultName: String) async throws {
            server = try CoffredProcess()
            url = try server.waitUntilListening()
            work = CoffredProcess.temporaryDirectory("coffre-dav-vault")
            let added = try await CommandLineTool.run("coffre-admin", ["--data", server.dataDirectory, "user", "add", "alice"])
            let code = try AccountCommandsTests.inviteCode(in: added.stdout)
            let setup = try await CommandLineTool.run(
                "coffre", ["account", "setup", "--server", url, "--user", "alice", "--invite", code, "--kdf-cost", "test"],
                environment: ["COFFRE_HOME": work + "/home", "COFFRE_PASSWORD": WebDAVVaultTests.password])
            guard setup.status == 0 else { throw Failure("account setup failed: \(setup)") }
            let created = try await CommandLineTool.run(
                "coffre", ["vault", "create", vaultName],
                environment: ["COFFRE_HOME": work + "/home", "COFFRE_PASSWORD": WebDAVVaultTests.password])
            guard created.status == 0 else { throw Failure("vault create failed: \(created)") }
            // The test's own handle on the vault, as `coffre dav` opens it.
            let vaults = try VaultClient.open(home: ClientHome(path: work + "/home"), password: WebDAVVaultTests.password)
            vaultID = try await vaults.vault(named: vaultName).id
            client = vaults.api
            openGrant = try await vaults.grantOpener(for: vaultID)
        }

        deinit { try? FileManager.default.removeItem(atPath: work) }

        /// Runs `coffre dav` with `arguments` after the vault and test options.
        func dav(_ arguments: [String] = [], vault: String) throws -> RunningTool {
            try RunningTool.dav(
                arguments: ["dav", "--vault", vault, ] + arguments,
                environment: ["COFFRE_HOME": home, "COFFRE_PASSWORD": WebDAVVaultTests.password])
        }
    }

    @Test func litmusPassesEverySuite() async throws {
        let setting = try await Setting(vaultName: "Litmus")
        let dav = try setting.dav(vault: "Litmus")
        let gateway = try await dav.waitUntilServing()
        for suite in WebDAVLitmusTests.suites {
            let run = try await WebDAVGatewayFixture.run(
                "/usr/bin/litmus", [gateway.url, gateway.user, gateway.password], in: setting.work, environment: ["TESTS": suite])
            let summary = try #require(WebDAVLitmusTests.summary(of: run.output, suite: suite), "no litmus summary in:\n\(run.output)")
            #expect(summary.run > 0 && summary.passed == summary.run && summary.failed == 0, "litmus \(suite) over the vault:\n\(run.output)")
            #expect(!run.output.contains("warning"), "litmus \(suite) over the vault warned:\n\(run.output)")
        }
        #expect(await dav.stop() == 0)
    }

    @Test func rcloneAndASecondDeviceSeeTheSameVault() async throws {
        let setting = try await Setting(vaultName: "Family photos")
        let dav = try setting.dav(vault: "Family photos")
        let gateway = try await dav.waitUntilServing()
        let source = setting.work + "/source"
        let out = setting.work + "/out"
        let files = try WebDAVRcloneTests.makeTree(at: source)
        let obscured = try await WebDAVGatewayFixture.run("/usr/bin/rclone", ["obscure", gateway.password], in: setting.work)
        try Data().write(to: URL(fileURLWithPath: setting.work + "/rclone.conf"))
        let environment = [
            "RCLONE_CONFIG": setting.work + "/rclone.conf", "RCLONE_CONFIG_DAV_TYPE": "webdav", "RCLONE_CONFIG_DAV_URL": gateway.url,
            "RCLONE_CONFIG_DAV_VENDOR": "other", "RCLONE_CONFIG_DAV_USER": gateway.user,
            "RCLONE_CONFIG_DAV_PASS": obscured.output.trimmingCharacters(in: .whitespacesAndNewlines),
        ]
        func rclone(_ arguments: [String]) async throws -> WebDAVGatewayFixture.Run {
            try await WebDAVGatewayFixture.run(
                "/usr/bin/rclone", arguments + ["--retries", "1", "--low-level-retries", "1"], in: setting.work, environment: environment)
        }
        let copyIn = try await rclone(["copy", source, "dav:tree"])
        #expect(copyIn.status == 0, "rclone copy in:\n\(copyIn.output)")
        let check = try await rclone(["check", source, "dav:tree"])
        #expect(check.status == 0, "rclone check:\n\(check.output)")
        let copyOut = try await rclone(["copy", "dav:tree", out])
        #expect(copyOut.status == 0, "rclone copy out:\n\(copyOut.output)")
        for (path, data) in files {
            #expect(FileManager.default.contents(atPath: out + "/" + path) == data, "\(path) differs after the round trip")
        }

        // A second device syncs the vault: it gets what rclone wrote through the gateway...
        let folder = setting.work + "/desktop"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let engine = try await SyncEngine(
            configuration: SyncConfiguration(folder: folder, deviceName: "desktop"),
            remote: HTTPSyncRemote(client: setting.client, vaultID: setting.vaultID), openGrant: setting.openGrant)
        _ = try await engine.syncOnce()
        for (path, data) in files {
            #expect(FileManager.default.contents(atPath: folder + "/tree/" + path) == data, "\(path) did not reach the second device")
        }
        // ...and what it writes reaches the gateway (which follows the changes feed).
        try Data("from the desktop\n".utf8).write(to: URL(fileURLWithPath: folder + "/tree/desktop.txt"))
        _ = try await engine.syncOnce()
        var fetched: WebDAVGatewayFixture.Run?
        for _ in 0..<100 where fetched?.output != "from the desktop\n" {
            fetched = try await rclone(["cat", "dav:tree/desktop.txt"])
            if fetched?.output != "from the desktop\n" { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(fetched?.output == "from the desktop\n", "\(fetched?.output ?? "")")
        #expect(await dav.stop() == 0)
    }

    @Test func refusesWhatItCannotServeSafely() async throws {
        let setting = try await Setting(vaultName: "Mine")
        for address in ["0.0.0.0:0", "192.168.1.10:8080", "example.org:80"] {
            let refused = try await CommandLineTool.run(
                "coffre", ["dav", "--vault", "Mine", "--listen", address],
                environment: ["COFFRE_HOME": setting.home, "COFFRE_PASSWORD": WebDAVVaultTests.password])
            #expect(refused.status == 2 && refused.stderr.contains("loopback"), "\(refused)")
        }
        let unknown = try await CommandLineTool.run(
            "coffre", ["dav", "--vault", "Not mine"],
            environment: ["COFFRE_HOME": setting.home, "COFFRE_PASSWORD": WebDAVVaultTests.password])
        #expect(unknown.status == 2 && unknown.stderr.contains("no vault"), "\(unknown)")
        let wrong = try await CommandLineTool.run(
            "coffre", ["dav", "--vault", "Mine"], environment: ["COFFRE_HOME": setting.home, "COFFRE_PASSWORD": "wrong"])
        #expect(wrong.status != 0 && !wrong.stdout.contains("password:"), "\(wrong)")
        // A password of the user's own choosing, from a file; SIGINT stops it cleanly too.
        try Data("my-own-dav-password\n".utf8).write(to: URL(fileURLWithPath: setting.work + "/dav-password"))
        let dav = try setting.dav(["--password-file", setting.work + "/dav-password"], vault: "Mine")
        let gateway = try await dav.waitUntilServing()
        #expect(gateway.password == "my-own-dav-password" && gateway.user == "coffre")
        #expect(await dav.stop(signal: SIGINT) == 0)
    }
}

/// What a running `coffre dav` announced.
struct DAVGatewayAnnouncement {
    let url: String
    let user: String
    let password: String
}

extension RunningTool {
    /// Starts `coffre ARGUMENTS` (a `dav` command line).
    static func dav(arguments: [String], environment: [String: String]) throws -> RunningTool {
        try RunningTool("coffre", arguments, environment: environment)
    }

    /// Reads `coffre dav`'s announcement (URL, user, password lines); fails when it exits first.
    func waitUntilServing(timeoutSeconds: Double = 60) async throws -> DAVGatewayAnnouncement {
        @Sendable func value(_ prefix: String, in text: String) -> String? {
            text.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }
        let announced = await waitForStandardOutput(timeoutSeconds: timeoutSeconds) { text in
            ["WebDAV: ", "user: ", "password: "].allSatisfy { value($0, in: text) != nil }
        }
        guard let text = announced, let url = value("WebDAV: ", in: text), let user = value("user: ", in: text),
            let password = value("password: ", in: text)
        else { throw Failure("coffre dav did not start: \(standardError())") }
        return DAVGatewayAnnouncement(url: url, user: user, password: password)
    }
}
