import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Foundation
import Glibc
import HTTPServer

/// A coffred process started for the bench in a temporary data directory, and a user with a
/// vault on it.
final class CoffredUnderTest: @unchecked Sendable {
    // @unchecked Sendable: set up in init, then only read (the Process is used by `stop` once).
    let process = Process()
    let dataDirectory: String
    let url: String
    let server: ServerURL
    let adminToken: String
    private let output = Pipe()

    init(binary: String) throws {
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("sync-bench-\(UUID().uuidString)").path
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--data", dataDirectory, "--listen", "127.0.0.1:0", "--log-level", "warning"]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COFFRE_") }
        environment["COFFRE_MAINTENANCE_INTERVAL_SECONDS"] = "0"
        process.environment = environment
        process.standardOutput = output
        try process.run()
        var collected = ""
        let deadline = Date().addingTimeInterval(60)
        while !collected.contains("\n"), Date() < deadline, process.isRunning {
            collected += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        }
        guard let line = collected.split(separator: "\n").first, line.hasPrefix("coffred listening on ") else {
            throw BenchFailure("coffred did not start")
        }
        url = String(line.dropFirst("coffred listening on ".count))
        server = try ServerURL(parsing: url)
        adminToken = try String(contentsOfFile: dataDirectory + "/admin.token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the process (SIGTERM) and removes its data.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    /// Resident memory of the process (VmRSS), in bytes.
    var residentBytes: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
        }
        return 0
    }

    /// User and system CPU seconds the process has used.
    var cpuSeconds: Double { BenchEnvironment.cpuSeconds(of: process.processIdentifier) }

    /// A registered user with a device token and a fresh vault.
    func userWithVault(_ name: String, http: HTTPClient) async throws -> (client: SyncAPIClient, vault: VaultID) {
        let admin = CoffreAPI(transport: try HTTPAPITransport.factory()(server, nil), token: adminToken)
        let invite = try await admin.createUser(CreateUserRequest(userName: name))
        let anonymous = CoffreAPI(transport: try HTTPAPITransport.factory()(server, nil))
        let authKey = try SecureRandom.bytes(count: 32)
        let keys = AccountKeyMaterial(
            x25519PublicKey: try SecureRandom.bytes(count: 32), ed25519PublicKey: try SecureRandom.bytes(count: 32),
            wrappedX25519PrivateKey: try SecureRandom.bytes(count: 61), wrappedEd25519PrivateKey: try SecureRandom.bytes(count: 61))
        _ = try await anonymous.register(
            RegisterRequest(
                userName: name, inviteCode: invite.invite.code,
                kdf: ScryptParameters(n: 1 << 10, r: 8, p: 1, salt: try SecureRandom.bytes(count: 16)), authKey: authKey, keys: keys))
        let login = try await anonymous.login(LoginRequest(userName: name, authKey: authKey, deviceName: "bench", scopes: [.sync]))
        let client = SyncAPIClient(http: http, server: server, token: login.token)
        let vault = try await client.createVault(
            CreateVaultRequest(
                vaultId: VaultID(bytes: try SecureRandom.bytes(count: 16))!, name: Base64Bytes([1]),
                wrappedKey: Base64Bytes(try SecureRandom.bytes(count: 64))))
        return (client, vault.vaultId)
    }
}
