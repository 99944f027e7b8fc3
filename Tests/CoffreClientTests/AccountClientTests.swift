import CoffreClient
import CoffreCrypto
import CoffreProtocol
import CoffreServer
import Foundation
import Testing

/// The account commands against the real account services in-process: setup, login on a
/// second device, whoami, devices, revocation, password change, logout, and the refusals
/// (wrong password, throttling, downgrade, tampered keys).
@Suite struct AccountClientTests {
    static let password = "correct horse battery"

    static func options(_ name: String, device: String = "laptop", server: ServerURL = InProcessServer.http, cost: KDFCost = .test)
        -> AccountClient.SignInOptions
    {
        AccountClient.SignInOptions(server: server, userName: UserName(rawValue: name)!, deviceName: device, cost: cost)
    }

    /// A server with `name` set up on one device.
    static func setUp(_ name: String = "alice", clock: ServerClock = .system) async throws -> (InProcessServer, AccountClient) {
        let server = try await InProcessServer(clock: clock)
        let code = try await server.invite(name)
        let client = server.client()
        _ = try await client.setup(options(name), inviteCode: code, password: password)
        return (server, client)
    }

    @Test func setupStoresTheDeviceAndWhoamiShowsIt() async throws {
        let (_, client) = try await Self.setUp()
        let identity = try await client.whoami()
        #expect(identity.account.user.name == "alice")
        #expect(identity.account.user.isRegistered)
        #expect(identity.account.device.name == "laptop")
        #expect(identity.account.scopes == [.sync])
        #expect(identity.state.deviceID == identity.account.device.id)
        let state = try #require(try client.home.loadState())
        #expect(state.kdf.n == 1 << 10)
        #expect(state.token.hasPrefix("cft_"))
        // Only wrapped private keys: 61-byte version-1 wrappings, never 32-byte raw keys.
        #expect(state.keys.wrappedX25519PrivateKey.count == 61 && state.keys.wrappedEd25519PrivateKey.count == 61)
        let text = try String(contentsOfFile: client.home.stateFile, encoding: .utf8)
        #expect(!text.contains(Self.password))
    }

    @Test func aSecondHomeIsASecondDeviceAndCanRevokeTheFirst() async throws {
        let (server, first) = try await Self.setUp()
        let second = server.client()
        let signIn = try await second.login(Self.options("alice", device: "phone"), password: Self.password)
        #expect(signIn.state.deviceID != (try first.home.loadState())?.deviceID)
        let devices = try await second.devices().devices
        #expect(devices.map(\.name) == ["laptop", "phone"])
        #expect(devices.filter(\.isCurrent).map(\.name) == ["phone"])
        let firstID = try #require(try first.home.loadState()).deviceID
        try await second.revokeDevice(firstID)
        await #expect(throws: AccountError.signedOut) { try await first.whoami() }
        #expect(AccountError.signedOut.exitStatus == .authentication)
        // Revoking oneself is logout's job.
        await #expect(throws: AccountError.invalidArgument("device \(signIn.state.deviceID) is this device; use coffre logout")) {
            try await second.revokeDevice(signIn.state.deviceID)
        }
    }

    @Test func wrongPasswordIsRefusedThenThrottledWithAWait() async throws {
        // The server's time stands still, so a block lasts as long as the test needs it: with
        // the real clock a slow run once let the block expire before the right password came.
        let frozen = ServerClock.system.now()
        let (server, _) = try await Self.setUp(clock: ServerClock { frozen })
        let other = server.client()
        for _ in 0..<5 {
            await #expect(throws: AccountError.wrongPassword) { try await other.login(Self.options("alice"), password: "not the password") }
        }
        // Each further failure blocks the name for longer (1 s, 2 s, 4 s…); with the clock
        // stopped, the first blocked attempt stays blocked.
        var wait: Int?
        for _ in 0..<8 where wait == nil {
            do {
                _ = try await other.login(Self.options("alice"), password: "not the password")
                Issue.record("a wrong password was accepted")
            } catch {
                if case .throttled(let seconds) = error { wait = seconds } else { #expect(error == .wrongPassword) }
            }
        }
        let seconds = try #require(wait)
        #expect(seconds >= 1)
        #expect(AccountError.throttled(retryAfterSeconds: seconds).description.contains("wait"))
        #expect(AccountError.throttled(retryAfterSeconds: seconds).exitStatus == .throttled)
        // Even the right password waits while the name is blocked.
        await #expect(throws: AccountError.self) { try await other.login(Self.options("alice"), password: Self.password) }
        #expect(try other.home.loadState() == nil)
    }

    @Test func loginRefusesTestKDFParametersWithoutTheTestCost() async throws {
        let (server, _) = try await Self.setUp()
        let other = server.client()
        let logins = { server.received.withLock { $0.filter { $0.target == AccountsPath.login }.count } }
        let loginsBefore = logins()
        do {
            _ = try await other.login(Self.options("alice", cost: .standard), password: Self.password)
            Issue.record("a downgrade was accepted")
        } catch {
            guard case .kdfDowngrade = error else { throw error }
            #expect(error.exitStatus == .untrustedServer)
        }
        // Refused before any login attempt: the server saw the pre-login only.
        #expect(logins() == loginsBefore)
        #expect(try other.home.loadState() == nil)
    }

    @Test func keysThatDoNotOpenAreRefusedAndTheDeviceIsRevoked() async throws {
        let (server, _) = try await Self.setUp()
        server.tamper.withLock {
            $0 = { request, response in
                guard request.target == AccountsPath.login, response.status == 201,
                    var login = try? JSONDecoder().decode(LoginResponse.self, from: Data(response.body))
                else { return response }
                var wrapped = login.keys.wrappedX25519PrivateKey.bytes
                wrapped[20] ^= 1
                login.keys.wrappedX25519PrivateKey = Base64Bytes(wrapped)
                var altered = response
                altered.body = Array(try! JSONEncoder().encode(login))
                return altered
            }
        }
        let other = server.client()
        await #expect(throws: AccountError.keysRejected(reason: "the wrapped private keys do not open with this password")) {
            try await other.login(Self.options("alice", device: "phone"), password: Self.password)
        }
        #expect(try other.home.loadState() == nil)
        let admin = try await server.adminAPI()
        // Only the first device remains: the one created for unusable keys was logged out.
        #expect(try await admin.allDevices(of: UserName(rawValue: "alice")).devices.map(\.name) == ["laptop"])
    }

    @Test func swappedPublicKeysAreRefused() async throws {
        let (server, client) = try await Self.setUp()
        server.tamper.withLock {
            $0 = { request, response in
                guard request.target == AccountsPath.account, var account = try? JSONDecoder().decode(AccountResponse.self, from: Data(response.body))
                else { return response }
                account.keys.x25519PublicKey = Base64Bytes([UInt8](repeating: 9, count: 32))
                var altered = response
                altered.body = Array(try! JSONEncoder().encode(account))
                return altered
            }
        }
        await #expect(throws: AccountError.keysRejected(reason: "the server reports other public keys than the ones this device stored")) {
            try await client.whoami()
        }
    }

    @Test func passwordChangeKeepsTheKeysAndOnlyTheNewPasswordLogsIn() async throws {
        let (server, client) = try await Self.setUp()
        let before = try #require(try client.home.loadState())
        let other = server.client()
        _ = try await other.login(Self.options("alice", device: "phone"), password: Self.password)
        await #expect(throws: AccountError.wrongPassword) {
            try await client.changePassword(current: "wrong password", new: "a new password", cost: .test, revokeOtherDevices: false)
        }
        let answer = try await client.changePassword(current: Self.password, new: "a new password", cost: .test, revokeOtherDevices: true)
        #expect(answer.revokedDevices == 1)
        let after = try #require(try client.home.loadState())
        #expect(after.keys.x25519PublicKey == before.keys.x25519PublicKey)
        #expect(after.keys.wrappedX25519PrivateKey != before.keys.wrappedX25519PrivateKey)
        #expect(after.kdf.salt != before.kdf.salt)
        await #expect(throws: AccountError.signedOut) { try await other.whoami() }
        _ = try await client.whoami()
        let third = server.client()
        await #expect(throws: AccountError.wrongPassword) { try await third.login(Self.options("alice"), password: Self.password) }
        let signIn = try await third.login(Self.options("alice"), password: "a new password")
        #expect(signIn.user.name == "alice")
        await #expect(throws: AccountError.password("a new password needs at least 8 characters")) {
            try await client.changePassword(current: "a new password", new: "short", cost: .test, revokeOtherDevices: false)
        }
    }

    @Test func logoutRevokesAndRemovesTheState() async throws {
        let (server, client) = try await Self.setUp()
        let token = try #require(try client.home.loadState()).token
        let state = try await client.logout()
        #expect(state.userName == "alice")
        #expect(try client.home.loadState() == nil)
        await #expect(throws: AccountError.notSignedIn(home: client.home.path)) { try await client.whoami() }
        let stale = CoffreAPI(transport: InProcessTransport(server: server, url: InProcessServer.http, trust: nil), token: token)
        await #expect(throws: APIClientError.self) { try await stale.account() }
    }

    @Test func ownAuditTrailAndAccountDeletionThroughTheTypedClient() async throws {
        let (server, client) = try await Self.setUp()
        let state = try #require(try client.home.loadState())
        let api = CoffreAPI(transport: InProcessTransport(server: server, url: InProcessServer.http, trust: nil), token: state.token)
        let audit = try await api.audit(limit: 10)
        #expect(audit.entries.contains { $0.event == .inviteRedeemed })
        #expect(audit.entries.allSatisfy { $0.userName == "alice" })
        #expect(try await api.audit(since: Int64(Date().timeIntervalSince1970) + 3600).entries.isEmpty)
        await #expect { try await api.audit(limit: 0) } throws: { ($0 as? APIClientError)?.code == .invalidQuery }
        // Deletion needs the authKey again: a token alone is not enough.
        await #expect { try await api.deleteAccount(authKey: [UInt8](repeating: 7, count: 32)) } throws: { error in
            (error as? APIClientError)?.code == .invalidCredentials
        }
        let keys = try AccountKeys.derive(password: Self.password, parameters: KDFParameters(wire: state.kdf), policy: .testingOnly)
        try await api.deleteAccount(authKey: Array(keys.authKey))
        await #expect(throws: AccountError.signedOut) { try await client.whoami() }
        #expect(try await server.adminAPI().users().users.isEmpty)
    }

    @Test func reLoginReplacesAndRevokesThePreviousDeviceOfTheFolder() async throws {
        let (server, client) = try await Self.setUp()
        let first = try #require(try client.home.loadState())
        _ = try await client.login(Self.options("alice", device: "laptop again"), password: Self.password)
        let admin = try await server.adminAPI()
        let devices = try await admin.allDevices(of: UserName(rawValue: "alice")).devices
        #expect(devices.map(\.name) == ["laptop again"])
        #expect(!devices.contains { $0.id == first.deviceID })
    }

    @Test func setupRefusesAnOccupiedHomeAndBadInvites() async throws {
        let (server, client) = try await Self.setUp()
        let code = try await server.invite("bob")
        await #expect(throws: AccountError.alreadySignedIn(detail: "alice on http://127.0.0.1:8080")) {
            try await client.setup(Self.options("bob"), inviteCode: code, password: Self.password)
        }
        let fresh = server.client()
        await #expect(throws: AccountError.self) { try await fresh.setup(Self.options("bob"), inviteCode: "cfi_\r\nX-Evil: 1", password: Self.password) }
        do {
            _ = try await fresh.setup(Self.options("bob"), inviteCode: "cfi_AAAAAAAAAAAAAAAAAAAAAA", password: Self.password)
            Issue.record("an unknown invite was accepted")
        } catch {
            #expect(error == .api(.server(status: 403, code: .invalidInvite, message: error.apiMessage, retryAfterSeconds: nil)))
            #expect(error.exitStatus == .refused)
        }
        #expect(try fresh.home.loadState() == nil)
    }

    @Test func httpsPinsOnFirstUseAndRefusesAnotherCertificate() async throws {
        let server = try await InProcessServer()
        let code = try await server.invite("carol")
        let client = server.client()
        let signIn = try await client.setup(Self.options("carol", server: InProcessServer.https), inviteCode: code, password: Self.password)
        #expect(signIn.newPin == [UInt8](repeating: 0xC0, count: 32))
        #expect(try client.home.loadState()?.pin == signIn.newPin)
        _ = try await client.whoami()
        server.certificate.withLock { $0 = [UInt8](repeating: 0xEE, count: 32) }
        do {
            _ = try await client.whoami()
            Issue.record("a changed certificate was accepted")
        } catch {
            guard case .api(.tls) = error else { throw error }
            #expect(error.exitStatus == .untrustedServer)
        }
    }
}

extension AccountError {
    /// The server's message inside an API refusal (for equality checks).
    var apiMessage: String {
        if case .api(.server(_, _, let message, _)) = self { return message }
        return ""
    }
}
