@testable import CoffreServer
import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Foundation
import HTTPServer
import Testing

/// A whole `ServerApplication` (accounts, sync routes, blob layer, maintenance routes) on
/// 127.0.0.1 port 0 in its own temporary data directory, with helpers that create registered
/// users, log them in and hand out typed clients. Stop it with `shutdown()`.
final class SyncServerHarness: Sendable {
    let directory: String
    let app: ServerApplication
    let http: HTTPClient
    let log: CapturedLog
    let adminToken: String
    /// The server's clock: the real time when the harness starts, moved by hand afterwards.
    let clock: ManualClock

    /// A registered user with a device token.
    struct User: Sendable {
        let id: Int64
        let name: String
        let authKey: [UInt8]
        let keys: AccountKeyMaterial
        let token: String
        let client: SyncAPIClient
    }

    init(dataDirectory: String? = nil, _ configure: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        directory = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent(
            "coffre-syncapi-\(UUID().uuidString)"
        ).path
        var configuration = ServerConfiguration()
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.dataDirectory = directory
        configuration.http.eventLoops = 1
        configuration.storage.minFreeBytes = 0
        // No timer: tests run GC through the admin route, after moving the clock.
        configuration.maintenance.intervalSeconds = 0
        // Patient timeouts (see `PatientTimeouts`); tests of the timeouts set their own.
        configuration.http.headerReadTimeoutSeconds = 600
        configuration.http.idleTimeoutSeconds = 600
        configuration.http.bodyReadTimeoutSeconds = 600
        configure(&configuration)
        log = CapturedLog()
        clock = ManualClock(Int64(Date().timeIntervalSince1970))
        app = try await ServerApplication(configuration: configuration, logger: log.logger, clock: clock.serverClock)
        try app.start()
        http = try PatientTimeouts.client()
        adminToken = try await app.accounts.createAdminToken(CreateAdminTokenRequest(name: "tests"), by: .token(0)).token
    }

    /// Stops the server and the client; the data directory stays until `removeData()`.
    func shutdown() async {
        http.shutdown()
        await app.shutdown()
    }

    func removeData() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    var address: ServerURL {
        get throws { try ServerURL(parsing: app.baseURL) }
    }

    /// A client with `token`.
    func client(token: String) throws -> SyncAPIClient {
        SyncAPIClient(http: http, server: try address, token: token)
    }

    /// The admin API client (`coffre-admin`'s) with `token`, the admin token by default.
    func adminClient(token: String? = nil) throws -> CoffreAPI {
        CoffreAPI(transport: try HTTPAPITransport.factory()(try address, nil), token: token ?? adminToken)
    }

    /// Invites, registers and logs in `name` with `scopes` (an administrator with `isAdmin`).
    func user(_ name: String, quota: Int64? = nil, scopes: [Scope] = [.sync], isAdmin: Bool = false) async throws -> User {
        let request = CreateUserRequest(userName: name, isAdmin: isAdmin, quotaBytes: quota)
        let invite = try await app.accounts.createUser(request, by: .token(0))
        let authKey = AccountsHarness.randomBytes(32)
        let keys = AccountsHarness.keyMaterial()
        let info = try await app.accounts.register(
            RegisterRequest(userName: name, inviteCode: invite.invite.code, kdf: AccountsHarness.kdf(), authKey: authKey, keys: keys))
        let token = try await login(name, authKey: authKey, scopes: scopes)
        return User(id: info.id, name: name, authKey: authKey, keys: keys, token: token, client: try client(token: token))
    }

    /// Another device token of a registered user.
    func login(_ name: String, authKey: [UInt8], scopes: [Scope]) async throws -> String {
        try await app.accounts.login(
            LoginRequest(userName: name, authKey: authKey, deviceName: "device \(scopes.map(\.rawValue))", scopes: scopes),
            from: [127, 0, 0, 1]
        ).token
    }

    /// The quota use the server keeps for `user`.
    func usedBytes(_ user: User) async throws -> Int64 {
        try await app.accounts.quotas.usage(ofUser: user.id).usedBytes
    }

    /// Paths of every file under the data directory's `blobs/` (relative).
    func blobFiles() -> [String] {
        let root = directory + "/blobs"
        return (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    /// Writes a blob file the way the store lays them out, without any row (an orphan), with a
    /// modification time `age` seconds before the server's clock.
    func plantFile(vault: VaultID, blob: (id: BlobID, bytes: [UInt8]), age: Int64) throws {
        let hex = blob.id.hex
        let folder = "\(directory)/blobs/\(vault.hex)/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + hex
        try Data(blob.bytes).write(to: URL(fileURLWithPath: path))
        let time = Date(timeIntervalSince1970: Double(clock.now - age))
        try FileManager.default.setAttributes([.modificationDate: time], ofItemAtPath: path)
    }

    /// Entries of the data directory's `tmp/` other than the blob store's lock.
    func temporaryFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/tmp")) ?? []).filter { $0 != "blob-store.lock" }
    }
}

/// Builders for vaults, blobs and entries a test commits.
enum SyncSamples {
    static func vaultID() -> VaultID { VaultID(bytes: AccountsHarness.randomBytes(16))! }
    static func entryID() -> EntryID { EntryID(bytes: AccountsHarness.randomBytes(16))! }
    static func tag() -> NameTag { NameTag(bytes: AccountsHarness.randomBytes(32))! }

    /// Random bytes and their blob id.
    static func blob(_ size: Int) -> (id: BlobID, bytes: [UInt8]) {
        let bytes = AccountsHarness.randomBytes(size)
        return (BlobID(bytes: try! SHA256.hash(bytes))!, bytes)
    }

    static func createRequest(_ id: VaultID = vaultID()) -> CreateVaultRequest {
        CreateVaultRequest(vaultId: id, name: Base64Bytes([1, 2, 3]), wrappedKey: Base64Bytes(AccountsHarness.randomBytes(64)))
    }

    /// A new file in `parent` referencing `blobs`.
    static func newFile(_ id: EntryID = entryID(), in parent: EntryID = .root, blobs: [BlobID] = []) -> EntryChange {
        EntryChange(
            entryId: id, baseRev: 0, parentId: parent, kind: .file, nameTag: tag(), record: Base64Bytes(AccountsHarness.randomBytes(64)),
            blobs: blobs)
    }
}

/// Expects `body` to be refused by the server with `code` (and `status` when given).
func expectRefusal<T>(
    _ code: ErrorCode, status: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws(APIClientError) -> T
) async {
    do {
        _ = try await body()
        Issue.record("expected the server to refuse with \(code)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "got \(error)", sourceLocation: sourceLocation)
        if let status, case .server(let actual, _, _, _) = error {
            #expect(actual == status, sourceLocation: sourceLocation)
        }
    }
}

extension SyncServerHarness {
    /// Runs `body` against a fresh server (`configure` adjusting its configuration), then
    /// shuts the server down and removes its data, also when `body` throws.
    static func withServer(
        _ configure: (inout ServerConfiguration) -> Void = { _ in }, _ body: (SyncServerHarness) async throws -> Void
    ) async throws {
        let harness = try await SyncServerHarness(configure)
        defer { harness.removeData() }
        do { try await body(harness) } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    /// `withServer` with user "alice" owning a new vault.
    static func withVault(
        _ configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (SyncServerHarness, SyncServerHarness.User, VaultID) async throws -> Void
    ) async throws {
        try await withServer(configure) { harness in
            let alice = try await harness.user("alice")
            let vault = SyncSamples.vaultID()
            _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
            try await body(harness, alice, vault)
        }
    }
}
