import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Foundation
import HTTPServer

/// Users and clients of a real `coffred` for the sync end-to-end tests: accounts are made over
/// the admin and auth routes (random authKeys and key material: the server checks shapes only),
/// the sync routes are called with `SyncAPIClient`.
struct SyncSession: Sendable {
    let server: ServerURL
    let http: HTTPClient
    let adminToken: String

    /// A session against the coffred at `url`, with the admin token its data directory holds.
    init(url: String, dataDirectory: String, http: HTTPClient) throws {
        server = try ServerURL(parsing: url)
        self.http = http
        adminToken = try String(contentsOfFile: dataDirectory + "/admin.token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An HTTP client for these tests, with connect/read/write timeouts of 600 s (see
    /// `CoffredProcess.patientTimeouts`: the test process may not run for tens of seconds).
    static func httpClient() throws -> HTTPClient {
        var configuration = HTTPClientConfiguration()
        configuration.connectTimeout = .seconds(600)
        configuration.readIdleTimeout = .seconds(600)
        configuration.writeIdleTimeout = .seconds(600)
        return try HTTPClient(configuration: configuration)
    }

    var admin: CoffreAPI {
        get throws { CoffreAPI(transport: try HTTPAPITransport.factory()(server, nil), token: adminToken) }
    }

    /// A registered user's device token and id.
    struct User: Sendable {
        let id: Int64
        let name: String
        let authKey: [UInt8]
        let token: String
    }

    /// Invites, registers and logs in `name` (scope `sync`).
    func user(_ name: String) async throws -> User {
        let admin = try self.admin
        let invite = try await admin.createUser(CreateUserRequest(userName: name))
        let anonymous = CoffreAPI(transport: try HTTPAPITransport.factory()(server, nil))
        let authKey = Self.random(32)
        let keys = AccountKeyMaterial(
            x25519PublicKey: Self.random(32), ed25519PublicKey: Self.random(32), wrappedX25519PrivateKey: Self.random(61),
            wrappedEd25519PrivateKey: Self.random(61))
        let info = try await anonymous.register(
            RegisterRequest(
                userName: name, inviteCode: invite.invite.code, kdf: ScryptParameters(n: 1 << 10, r: 8, p: 1, salt: Self.random(16)),
                authKey: authKey, keys: keys))
        return User(id: info.id, name: name, authKey: authKey, token: try await login(name, authKey: authKey))
    }

    /// A new device token of a registered user.
    func login(_ name: String, authKey: [UInt8]) async throws -> String {
        let anonymous = CoffreAPI(transport: try HTTPAPITransport.factory()(server, nil))
        return try await anonymous.login(LoginRequest(userName: name, authKey: authKey, deviceName: "e2e", scopes: [.sync])).token
    }

    /// A sync client with `token`.
    func client(_ token: String) -> SyncAPIClient {
        SyncAPIClient(http: http, server: server, token: token)
    }

    static func random(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255) }
    }

    static func blob(_ size: Int) -> (id: BlobID, bytes: [UInt8]) {
        let bytes = random(size)
        return (BlobID(bytes: (try? SHA256.hash(bytes)) ?? [])!, bytes)
    }

    static func vault() -> CreateVaultRequest {
        CreateVaultRequest(vaultId: VaultID(bytes: random(16))!, name: Base64Bytes([1]), wrappedKey: Base64Bytes(random(64)))
    }

    static func newFile(blobs: [BlobID], record: [UInt8] = random(48)) -> EntryChange {
        EntryChange(
            entryId: EntryID(bytes: random(16))!, baseRev: 0, parentId: .root, kind: .file, nameTag: NameTag(bytes: random(32))!,
            record: Base64Bytes(record), blobs: blobs)
    }
}
