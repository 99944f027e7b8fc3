@testable import CoffreClient
import CoffreProtocol
import Foundation
import Glibc
import Testing

/// The device state file: modes, atomic replacement, and refusal of anything unsafe or broken.
@Suite struct ClientHomeTests {
    let root: String
    let home: ClientHome

    init() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-home-\(UUID().uuidString)").path
        home = ClientHome(path: root + "/config/coffre")
    }

    static func state(token: String = "cft_" + String(repeating: "A", count: 43)) -> AccountState {
        let keys = AccountKeyMaterial(
            x25519PublicKey: [UInt8](repeating: 1, count: 32), ed25519PublicKey: [UInt8](repeating: 2, count: 32),
            wrappedX25519PrivateKey: [UInt8](repeating: 3, count: 61), wrappedEd25519PrivateKey: [UInt8](repeating: 4, count: 61))
        let quota = QuotaInfo(limitBytes: nil, usedBytes: 0)
        let user = UserInfo(id: 7, name: "alice", isAdmin: false, isRegistered: true, isDisabled: false, createdAt: 1, quota: quota)
        let device = DeviceInfo(id: 9, userID: 7, userName: "alice", name: "laptop", scopes: [.sync], createdAt: 1, lastSeenAt: 1, isCurrent: true)
        return AccountState(
            server: InProcessServer.https, pinnedCertificateSHA256: [UInt8](repeating: 0xAB, count: 32), caFile: nil,
            login: LoginResponse(token: token, device: device, user: user, keys: keys),
            kdf: ScryptParameters(n: 1024, r: 8, p: 1, salt: [UInt8](repeating: 5, count: 16)))
    }

    func mode(_ path: String) -> mode_t {
        var info = stat()
        _ = lstat(path, &info)
        return info.st_mode & 0o777
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: root) }

    @Test func savesWithPrivateModesAndReadsBack() throws {
        defer { cleanUp() }
        #expect(try home.loadState() == nil)
        try home.save(Self.state())
        #expect(mode(home.path) == 0o700)
        #expect(mode(root + "/config") == 0o700)
        #expect(mode(home.stateFile) == 0o600)
        #expect(try home.loadState() == Self.state())
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.path) == [ClientHome.stateFileName])
    }

    @Test func replacesAtomicallyAndNarrowsAWideFolder() throws {
        defer { cleanUp() }
        try FileManager.default.createDirectory(atPath: home.path, withIntermediateDirectories: true)
        chmod(home.path, 0o755)
        try home.save(Self.state())
        #expect(mode(home.path) == 0o700)
        var changed = Self.state()
        changed.deviceName = "renamed"
        try home.save(changed)
        #expect(try home.loadState()?.deviceName == "renamed")
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.path) == [ClientHome.stateFileName])
        try home.removeState()
        try home.removeState()
        #expect(try home.loadState() == nil)
    }

    @Test func refusesAStateFileOthersCanRead() throws {
        defer { cleanUp() }
        try home.save(Self.state())
        chmod(home.stateFile, 0o644)
        #expect { try home.loadState() } throws: { error in
            guard case AccountError.stateUnusable(let path, let reason) = error else { return false }
            return path == home.stateFile && reason.contains("chmod 600") && (error as? AccountError)?.exitStatus == .localState
        }
    }

    @Test(arguments: [
        ("{not json", "corrupted"),
        ("{\"version\": 1}", "corrupted"),
        ("", "corrupted"),
        ("[1, 2, 3]", "corrupted"),
    ])
    func corruptedFileIsAClearError(contents: String, expected: String) throws {
        defer { cleanUp() }
        try home.save(Self.state())
        try write(contents, to: home.stateFile)
        #expect { try home.loadState() } throws: { error in
            guard case AccountError.stateUnusable(_, let reason) = error else { return false }
            return reason.contains(expected) && reason.contains("coffre login")
        }
    }

    @Test func wellFormedJSONWithHostileValuesIsRefused() throws {
        defer { cleanUp() }
        for state in [Self.state(token: "cft_abc\r\nX-Injected: 1"), Self.state(token: "cfa_" + String(repeating: "A", count: 43))] {
            try home.save(state)
            #expect(throws: AccountError.self) { try home.loadState() }
        }
        var state = Self.state()
        state.server = "http://example.org"
        try home.save(state)
        #expect(throws: AccountError.self) { try home.loadState() }
        state = Self.state()
        state.pinnedCertificateSHA256 = "abcd"
        try home.save(state)
        #expect(throws: AccountError.self) { try home.loadState() }
        state = Self.state()
        state.version = 2
        try home.save(state)
        #expect(throws: AccountError.self) { try home.loadState() }
    }

    @Test func oversizedFileAndSymlinkAreRefused() throws {
        defer { cleanUp() }
        try home.save(Self.state())
        try write(String(repeating: " ", count: ClientHome.maximumStateBytes + 1), to: home.stateFile)
        #expect { try home.loadState() } throws: { error in
            guard case AccountError.stateUnusable(_, let reason) = error else { return false }
            return reason.contains("larger")
        }
        try FileManager.default.removeItem(atPath: home.stateFile)
        try write("{}", to: root + "/elsewhere.json")
        symlink(root + "/elsewhere.json", home.stateFile)
        #expect { try home.loadState() } throws: { error in
            guard case AccountError.stateUnusable(_, let reason) = error else { return false }
            return reason.contains("symbolic link")
        }
    }

    @Test func homeComesFromTheEnvironment() throws {
        #expect(try ClientHome.resolve(environment: ["COFFRE_HOME": "/a/b", "HOME": "/h"]).path == "/a/b")
        #expect(try ClientHome.resolve(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]).path == "/x/coffre")
        #expect(try ClientHome.resolve(environment: ["HOME": "/h"]).path == "/h/.config/coffre")
        #expect(throws: AccountError.self) { try ClientHome.resolve(environment: [:]) }
    }

    private func write(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0o600)
        #expect(fd >= 0)
        defer { close(fd) }
        let bytes = Array(text.utf8)
        #expect(bytes.isEmpty || Glibc.write(fd, bytes, bytes.count) == bytes.count)
    }
}
