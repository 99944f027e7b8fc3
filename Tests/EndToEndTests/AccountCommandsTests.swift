import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Foundation
import HTTPServer
import Testing

/// Issue 3's "done when", on the real binaries: coffred, coffre-admin and two (then three)
/// `COFFRE_HOME`s as devices, every key derivation at the test KDF cost.
@Suite("coffre and coffre-admin (real binaries)")
struct AccountCommandsTests {
    /// One running coffred and the folders of the devices talking to it.
    final class Setting: @unchecked Sendable {
        // @unchecked Sendable: used by one test at a time, sequentially.
        let server: CoffredProcess
        let url: String
        let homes: String

        init() throws {
            server = try CoffredProcess()
            url = try server.waitUntilListening()
            homes = CoffredProcess.temporaryDirectory("coffre-homes")
        }

        deinit { try? FileManager.default.removeItem(atPath: homes) }

        func home(_ name: String) -> String { homes + "/" + name }

        func admin(_ arguments: String...) async throws -> CommandLineTool.Run {
            try await CommandLineTool.run("coffre-admin", ["--data", server.dataDirectory] + arguments)
        }

        func coffre(_ home: String, password: String? = nil, newPassword: String? = nil, _ arguments: [String]) async throws -> CommandLineTool.Run {
            var environment = ["COFFRE_HOME": self.home(home)]
            environment["COFFRE_PASSWORD"] = password
            environment["COFFRE_NEW_PASSWORD"] = newPassword
            return try await CommandLineTool.run("coffre", arguments, environment: environment)
        }

        func decode<T: Decodable>(_ type: T.Type, _ run: CommandLineTool.Run) throws -> T {
            try JSONDecoder().decode(T.self, from: Data(run.stdout.utf8))
        }
    }

    static let password = "e2e-Pass-\(UUID().uuidString)"
    static let newPassword = "e2e-NewPass-\(UUID().uuidString)"

    /// The invite code in `coffre-admin user add`'s output.
    static func inviteCode(in text: String) throws -> String {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        return String(try #require(words.first { $0.hasPrefix("cfi_") }))
    }

    @Test func issueThreeDoneWhen() async throws {
        let setting = try Setting()
        let added = try await setting.admin("user", "add", "alice")
        #expect(added.status == 0, "\(added)")
        let code = try Self.inviteCode(in: added.stdout)
        #expect(added.stdout.contains("coffre account setup --server \(setting.url) --user alice --invite \(code)"))

        let setup = try await setting.coffre(
            "laptop", password: Self.password,
            ["account", "setup", "--server", setting.url, "--user", "alice", "--invite", code, "--device-name", "laptop", "--kdf-cost", "test"])
        #expect(setup.status == 0, "\(setup)")
        let whoami = try await setting.coffre("laptop", ["whoami"])
        #expect(whoami.status == 0, "\(whoami)")
        #expect(whoami.stdout.contains("alice"))
        #expect(whoami.stdout.contains("laptop"))

        let login = ["login", "--server", setting.url, "--user", "alice", "--device-name", "phone", "--kdf-cost", "test"]
        let phone = try await setting.coffre("phone", password: Self.password, login)
        #expect(phone.status == 0, "\(phone)")
        // Without --kdf-cost test the account's low cost is a downgrade, refused before any login.
        let downgrade = try await setting.coffre("other", password: Self.password, Array(login.dropLast(2)))
        #expect(downgrade.status == 7, "\(downgrade)")

        // A wrong password is refused; repeated, it is throttled and the wait is shown.
        var refusals: [CommandLineTool.Run] = []
        for _ in 0..<12 where refusals.last?.status != 5 {
            refusals.append(try await setting.coffre("other", password: "wrong password", login))
        }
        #expect(refusals.first?.status == 4)
        #expect(refusals.first?.stderr == "coffre: wrong user name or password\n")
        let throttled = try #require(refusals.last)
        #expect(throttled.status == 5, "\(throttled)")
        #expect(throttled.stderr.contains("too many failed attempts: wait "))

        // coffre-admin device revoke cuts the phone off at once.
        let devices = try setting.decode(DeviceList.self, try await setting.admin("device", "list", "alice", "--json"))
        let phoneID = try #require(devices.devices.first { $0.name == "phone" }?.id)
        #expect(try await setting.admin("device", "revoke", String(phoneID)).status == 0)
        let cutOff = try await setting.coffre("phone", ["whoami"])
        #expect(cutOff.status == 4)
        #expect(cutOff.stderr == "coffre: this device was signed out; run coffre login\n")

        // stats and audit show it all.
        let stats = try setting.decode(ServerStats.self, try await setting.admin("stats", "--json"))
        #expect(stats.accounts.users == 1 && stats.accounts.registeredUsers == 1 && stats.accounts.devices == 1)
        #expect(try await setting.admin("stats").stdout.contains("users"))
        let audit = try setting.decode(AuditPage.self, try await setting.admin("audit", "--user", "alice", "--limit", "100", "--json"))
        let events = Set(audit.entries.map(\.event))
        for event in [AuditEventKind.inviteCreated, .inviteRedeemed, .loginSucceeded, .loginFailed, .deviceCreated, .deviceRevoked] {
            #expect(events.contains(event), "\(event)")
        }
        #expect(try await setting.admin("audit", "--since", "1d").stdout.contains("device_revoked"))
        #expect(try await setting.admin("throttle", "clear", "alice").status == 0)

        // Password change; then only the new password logs in.
        let change = try await setting.coffre("laptop", password: Self.password, newPassword: Self.newPassword, ["password", "change", "--kdf-cost", "test"])
        #expect(change.status == 0, "\(change)")
        #expect(try await setting.coffre("third", password: Self.password, login).status == 4)
        #expect(try await setting.coffre("third", password: Self.newPassword, login).status == 0)

        try scanDataDirectory(setting)

        let logout = try await setting.coffre("laptop", ["logout"])
        #expect(logout.status == 0, "\(logout)")
        let gone = try await setting.coffre("laptop", ["whoami"])
        #expect(gone.status == 6)
        #expect(gone.stderr.contains("not signed in"))

        // A stopped server: clear "cannot reach" failures with their own status.
        #expect(await setting.server.stop() == 0)
        let offline = try await setting.coffre("third", ["whoami"])
        #expect(offline.status == 3, "\(offline)")
        #expect(offline.stderr.contains("cannot reach the server at \(setting.url)"))
        let adminOffline = try await setting.admin("stats")
        #expect(adminOffline.status == 3, "\(adminOffline)")
    }

    /// No file of the data directory (the SQLite database, its WAL and shared memory, blobs)
    /// holds either password or the raw private keys, which the test opens from a device's
    /// state with the known password.
    private func scanDataDirectory(_ setting: Setting) throws {
        let state = try #require(try ClientHome(path: setting.home("laptop")).loadState())
        let keys = try AccountKeys.derive(password: Self.newPassword, parameters: KDFParameters(wire: state.kdf), policy: .testingOnly)
        let agreement = try keys.unwrapAgreementKey(state.keys.wrappedX25519PrivateKey.bytes)
        let signing = try keys.unwrapSigningKey(state.keys.wrappedEd25519PrivateKey.bytes)
        let secrets: [(String, [UInt8])] = [
            ("password", Array(Self.password.utf8)), ("new password", Array(Self.newPassword.utf8)),
            ("X25519 private key", Array(agreement.rawRepresentation)), ("Ed25519 private key", Array(signing.rawRepresentation)),
        ]
        let root = setting.server.dataDirectory
        let files = try #require(FileManager.default.subpathsOfDirectory(atPath: root) as [String]?)
        var scanned = 0
        for file in files {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + file, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/" + file)))
            scanned += 1
            for (name, secret) in secrets {
                #expect(!contains(bytes, secret), "\(name) found in \(file)")
            }
        }
        #expect(files.contains("coffred.db") && files.contains("coffred.db-wal"))
        #expect(scanned >= 3)
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in
            haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle)
        }
    }

    /// README.md, "Five-minute tour — accounts", command for command (the password comes from
    /// COFFRE_PASSWORD instead of the terminal; the KDF cost is the real one).
    @Test func readmeTour() async throws {
        let setting = try Setting()
        let added = try await setting.admin("user", "add", "alice")
        #expect(added.status == 0, "\(added)")
        let code = try Self.inviteCode(in: added.stdout)
        let setup = try await setting.coffre(
            "tour", password: Self.password, ["account", "setup", "--server", setting.url, "--user", "alice", "--invite", code])
        #expect(setup.status == 0, "\(setup)")
        let whoami = try await setting.coffre("tour", ["whoami"])
        #expect(whoami.status == 0, "\(whoami)")
        #expect(whoami.stdout.contains("alice (id "))
        let stats = try await setting.admin("stats")
        #expect(stats.status == 0, "\(stats)")
        #expect(stats.stdout.contains("registered"))
        let readme = try String(contentsOfFile: Self.repositoryFile("README.md"), encoding: .utf8)
        for line in [
            "coffre-admin --data ./data user add alice", "coffre account setup --server http://127.0.0.1:8080 --user alice --invite",
            "coffre whoami", "coffre-admin --data ./data stats",
        ] {
            #expect(readme.contains(line), "README tour lost: \(line)")
        }
    }

    /// A wrong admin token and a malformed command line have their own statuses.
    @Test func adminTokenAndUsageErrors() async throws {
        let setting = try Setting()
        let wrong = try await CommandLineTool.run(
            "coffre-admin", ["--server", setting.url, "stats"], environment: ["COFFRE_ADMIN_TOKEN": "cfa_" + String(repeating: "A", count: 43)])
        #expect(wrong.status == 4, "\(wrong)")
        #expect(wrong.stderr.contains("admin token was refused"))
        let usage = try await setting.admin("user", "add", "Alice")
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("lowercase"))
        let missing = try await setting.admin("user", "show", "nobody")
        #expect(missing.status == 1, "\(missing)")
        let token = try await setting.admin("token", "create", "ci")
        #expect(token.status == 0)
        #expect(try await setting.admin("token", "list").stdout.contains("ci"))
    }

    static func repositoryFile(_ name: String) -> String {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent(name).path
    }
}

/// HTTPS: the client pins the certificate on first use and refuses another one later;
/// coffre-admin verifies with an explicit fingerprint or a CA file.
@Suite("coffre over TLS (real binaries)")
struct AccountCommandsTLSTests {
    @Test func pinsOnFirstUseAndRefusesAReplacedCertificate() async throws {
        let directory = CoffredProcess.temporaryDirectory("coffre-tls")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try CoffredProcess.writeSelfSignedCertificate(in: directory)
        let server = try CoffredProcess(arguments: CoffredProcess.tlsArguments(in: directory))
        let url = try server.waitUntilListening()
        #expect(url.hasPrefix("https://"))
        let fingerprint = first.fingerprintSHA256.map { String(format: "%02x", $0) }.joined()

        // Without a way to trust the self-signed certificate, coffre-admin refuses it.
        let untrusted = try await CommandLineTool.run("coffre-admin", ["--data", server.dataDirectory, "stats"])
        #expect(untrusted.status == 7, "\(untrusted)")
        let added = try await CommandLineTool.run(
            "coffre-admin", ["--data", server.dataDirectory, "--tls-fingerprint", fingerprint, "user", "add", "alice"])
        #expect(added.status == 0, "\(added)")
        let byCA = try await CommandLineTool.run("coffre-admin", ["--data", server.dataDirectory, "--ca-file", directory + "/cert.pem", "stats"])
        #expect(byCA.status == 0, "\(byCA)")

        let code = try AccountCommandsTests.inviteCode(in: added.stdout)
        let environment = ["COFFRE_HOME": directory + "/home", "COFFRE_PASSWORD": "tls test password"]
        let setup = try await CommandLineTool.run(
            "coffre", ["account", "setup", "--server", url, "--user", "alice", "--invite", code, "--kdf-cost", "test"], environment: environment)
        #expect(setup.status == 0, "\(setup)")
        let shown = first.fingerprintSHA256.map { String(format: "%02X", $0) }.joined(separator: ":")
        #expect(setup.stdout.contains("SHA256 \(shown)"))
        let whoami = try await CommandLineTool.run("coffre", ["whoami"], environment: environment)
        #expect(whoami.status == 0, "\(whoami)")
        #expect(whoami.stdout.contains(shown))

        // The server's certificate is replaced (SIGHUP reload): the pinned client refuses it.
        let second = try CoffredProcess.writeSelfSignedCertificate(in: directory)
        kill(server.process.processIdentifier, SIGHUP)
        var seen = first.fingerprintSHA256
        for _ in 0..<100 where seen != second.fingerprintSHA256 {
            try await Task.sleep(for: .milliseconds(50))
            seen = try await RawHTTP.peerFingerprint(port: server.port)
        }
        let refused = try await CommandLineTool.run("coffre", ["whoami"], environment: environment)
        #expect(refused.status == 7, "\(refused)")
        #expect(refused.stderr.contains("TLS with \(url) failed"))
        #expect(await server.stop() == 0)
    }
}
