@testable import CoffreServer
import CoffreCrypto
import CoffreProtocol
import Dispatch
import Foundation
import Logging
import Synchronization

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let seconds: Mutex<Int64>

    init(_ start: Int64 = 1_800_000_000) {
        seconds = Mutex(start)
    }

    var now: Int64 { seconds.withLock { $0 } }

    func advance(by delta: Int64) {
        seconds.withLock { $0 += delta }
    }

    var serverClock: ServerClock { ServerClock { self.now } }
}

/// Every log line the services wrote, for checks that no secret reaches the log.
final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])

    var logger: Logger {
        var logger = Logger(label: "test") { label in
            StructuredLogHandler(label: label, format: .text, level: .trace) { line in self.lines.withLock { $0.append(line) } }
        }
        logger.logLevel = .trace
        return logger
    }

    var text: String { lines.withLock { $0.joined() } }
}

/// A fresh database in a temp directory, the account services over it, a manual clock and a
/// captured log. Client secrets are random bytes: the server never sees a password, only the
/// authKey, so no KDF runs here (the client-side simulation with a real KDF is in
/// `AccountsClientSimulationTests`).
final class AccountsHarness: Sendable {
    let directory: String
    let database: ServerDatabase
    let accounts: Accounts
    let clock: ManualClock
    let log: CapturedLog
    static let admin = AdminActor.token(0)

    init(settings: AccountSettings = AccountSettings(), policy: LoginThrottle.Policy = LoginThrottle.Policy()) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-accounts-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        clock = ManualClock()
        log = CapturedLog()
        database = try await Self.openDatabase(path: directory + "/coffred.db")
        accounts = try await Accounts.open(
            database: database, settings: settings, clock: clock.serverClock, throttlePolicy: policy, logger: log.logger)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Opens (and migrates, with fsyncs) on a Dispatch thread: tests run in parallel, and
    /// blocking Swift concurrency's few shared threads would stall every other test's tasks.
    static func openDatabase(path: String) async throws -> ServerDatabase {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try ServerDatabase(path: path, readerCount: 2) })
            }
        }
    }

    /// A registered user: name, authKey, and the key material they registered.
    struct Member {
        let name: String
        let authKey: [UInt8]
        let user: UserInfo
        let keys: AccountKeyMaterial
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        // Eight bytes per draw in a while loop: `map` with `random(in:)` costs generic calls
        // per byte in debug builds.
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word: UInt64 = generator.next()
            let end = min(index + 8, count)
            while index < end {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return bytes
    }

    static func keyMaterial() -> AccountKeyMaterial {
        AccountKeyMaterial(
            x25519PublicKey: randomBytes(32), ed25519PublicKey: randomBytes(32), wrappedX25519PrivateKey: randomBytes(61),
            wrappedEd25519PrivateKey: randomBytes(61))
    }

    static func kdf() -> ScryptParameters {
        ScryptParameters(n: 1 << 10, r: 8, p: 1, salt: randomBytes(16))
    }

    func invite(_ name: String, isAdmin: Bool = false, quota: Int64? = nil) async throws -> CreateUserResponse {
        try await accounts.createUser(CreateUserRequest(userName: name, isAdmin: isAdmin, quotaBytes: quota), by: Self.admin)
    }

    func registerRequest(_ name: String, code: String, authKey: [UInt8]) -> RegisterRequest {
        RegisterRequest(userName: name, inviteCode: code, kdf: Self.kdf(), authKey: authKey, keys: Self.keyMaterial())
    }

    /// Invites and registers `name`.
    func member(_ name: String, isAdmin: Bool = false, quota: Int64? = nil) async throws -> Member {
        let invite = try await invite(name, isAdmin: isAdmin, quota: quota)
        let authKey = Self.randomBytes(32)
        let request = registerRequest(name, code: invite.invite.code, authKey: authKey)
        let user = try await accounts.register(request)
        return Member(name: name, authKey: authKey, user: user, keys: request.keys)
    }

    func login(_ member: Member, device: String = "laptop", scopes: [Scope] = [.sync], address: [UInt8]? = [127, 0, 0, 1]) async throws -> LoginResponse {
        try await accounts.login(
            LoginRequest(userName: member.name, authKey: member.authKey, deviceName: device, scopes: scopes), from: address)
    }

    /// The device session behind a token.
    func session(_ token: String) async throws -> DeviceSession {
        guard case .device(let session) = try await accounts.authenticator.authenticate(token: token) else {
            throw APIError.forbidden("not a device token")
        }
        return session
    }

    /// Rows about `userID` in every accounts table.
    func rowCounts(ofUser userID: Int64) async throws -> [String: Int] {
        try await database.queue.read { db in
            var counts: [String: Int] = [:]
            for (table, column) in [("users", "id"), ("user_credentials", "user_id"), ("invites", "user_id"), ("devices", "user_id"), ("audit", "user_id")] {
                counts[table] = try db.fetchValue("SELECT count(*) FROM \(table) WHERE \(column) = ?", [userID], as: Int.self) ?? 0
            }
            return counts
        }
    }
}
