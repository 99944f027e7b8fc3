@testable import CoffreServer
import CoffreProtocol
import Foundation
import Testing

@Suite struct LoginTests {
    @Test func loginCreatesADeviceWhoseTokenAuthenticates() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let login = try await harness.login(alice, device: "Ordinateur de Zoé", scopes: [.read, .sync])
        #expect(login.device.name == "Ordinateur de Zoé")
        #expect(login.device.scopes == [.sync, .read])
        #expect(login.device.isCurrent)
        #expect(login.keys == alice.keys)
        #expect(login.token.utf8.count == 47)
        let session = try await harness.session(login.token)
        #expect(session.userID == alice.user.id)
        #expect(session.deviceID == login.device.id)
        #expect(session.scopes == [.sync, .read])
    }

    @Test func wrongKeysUnknownNamesAndUnregisteredNamesGiveTheSameAnswer() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        _ = try await harness.invite("pending")
        var errors: [APIError] = []
        for (name, key) in [("alice", AccountsHarness.randomBytes(32)), ("nobody", alice.authKey), ("pending", alice.authKey)] {
            do {
                _ = try await harness.accounts.login(LoginRequest(userName: name, authKey: key, deviceName: "d", scopes: [.sync]), from: nil)
            } catch {
                errors.append(error)
            }
        }
        #expect(errors.count == 3)
        #expect(Set(errors.map(\.code)) == [.invalidCredentials])
        #expect(Set(errors.map(\.message)).count == 1)
        #expect(Set(errors.map(\.statusCode)) == [401])
        // Every failure did a write; only the existing account got an audit entry.
        let failures = try await harness.database.queue.read { db in
            try db.fetchValue("SELECT value FROM server_counters WHERE name = 'failed_logins'", as: Int64.self)
        }
        #expect(failures == 3)
        let page = try await harness.accounts.audit(user: nil, since: nil, before: nil, limit: nil)
        #expect(page.entries.filter { $0.event == .loginFailed }.map(\.userName) == ["pending", "alice"])
    }

    @Test func adminScopeOnlyForAdministrators() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        await #expect(throws: APIError.scopeNotAllowed) { try await harness.login(alice, scopes: [.sync, .admin]) }
        let root = try await harness.member("root", isAdmin: true)
        let login = try await harness.login(root, scopes: [.admin])
        let principal = try await harness.accounts.authenticator.authenticate(token: login.token)
        #expect(principal.adminActor == .user(root.user.id))
        // A sync-only token of an administrator is not an admin principal.
        let plain = try await harness.login(root, scopes: [.sync])
        #expect(try await harness.accounts.authenticator.authenticate(token: plain.token).adminActor == nil)
    }

    @Test func malformedLoginFieldsAreRefusedBeforeAnyCheck() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let cases: [LoginRequest] = [
            LoginRequest(userName: "alice", authKey: alice.authKey, deviceName: "", scopes: [.sync]),
            LoginRequest(userName: "alice", authKey: alice.authKey, deviceName: String(repeating: "é", count: 65), scopes: [.sync]),
            LoginRequest(userName: "alice", authKey: alice.authKey, deviceName: "bad\u{202E}name", scopes: [.sync]),
            LoginRequest(userName: "alice", authKey: alice.authKey, deviceName: "tab\there", scopes: [.sync]),
            LoginRequest(userName: "alice", authKey: alice.authKey, deviceName: " padded", scopes: [.sync]),
            LoginRequest(userName: "alice", authKey: alice.authKey, deviceName: "d", scopes: []),
            LoginRequest(userName: "alice", authKey: alice.authKey, deviceName: "d", scopes: [.sync, .sync]),
            LoginRequest(userName: "alice", authKey: Array(alice.authKey.prefix(16)), deviceName: "d", scopes: [.sync]),
        ]
        for request in cases {
            await #expect(throws: APIError.self) { try await harness.accounts.login(request, from: nil) }
        }
        // Field errors are not guesses: the throttle has not counted them.
        #expect(harness.accounts.throttle.status().accounts.isEmpty)
    }

    @Test func disabledAccountsCannotLogInAndTheirTokensStop() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let login = try await harness.login(alice)
        _ = try await harness.session(login.token)
        _ = try await harness.accounts.setUser(named: "alice", disabled: true, by: AccountsHarness.admin)
        await #expect(throws: APIError.unauthenticated) { try await harness.session(login.token) }
        await #expect(throws: APIError.accountDisabled) { try await harness.login(alice) }
        // A wrong key on a disabled account still says only "invalid credentials".
        await #expect(throws: APIError.invalidCredentials) {
            try await harness.accounts.login(
                LoginRequest(userName: "alice", authKey: AccountsHarness.randomBytes(32), deviceName: "d", scopes: [.sync]), from: nil)
        }
        _ = try await harness.accounts.setUser(named: "alice", disabled: false, by: AccountsHarness.admin)
        #expect(try await harness.session(login.token).userID == alice.user.id)
    }

    @Test func concurrentLoginsEachGetTheirOwnDevice() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<40 {
                group.addTask { try await harness.login(alice, device: "device \(index)", address: [10, 0, 0, UInt8(index)]).token }
            }
            var tokens: [String] = []
            for try await token in group { tokens.append(token) }
            return tokens
        }
        #expect(Set(tokens).count == 40)
        let session = try await harness.session(tokens[0])
        let devices = try await harness.accounts.devices(of: session)
        #expect(devices.devices.count == 40)
        #expect(Set(devices.devices.map(\.id)).count == 40)
        for token in tokens { _ = try await harness.session(token) }
    }

    @Test func theDeviceLimitHolds() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        for index in 0..<AccountRules.maximumDevicesPerUser { _ = try await harness.login(alice, device: "d\(index)") }
        do {
            _ = try await harness.login(alice)
            Issue.record("101st device accepted")
        } catch let error as APIError {
            #expect(error.code == .tooManyDevices)
        }
    }

    @Test func logoutAndRevocationCutTheTokenOffAtOnce() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let bob = try await harness.member("bob")
        let first = try await harness.login(alice, device: "one")
        let second = try await harness.login(alice, device: "two")
        let bobs = try await harness.login(bob)
        // Warm the cache, so the revocation has to reach it.
        let session = try await harness.session(first.token)
        _ = try await harness.session(second.token)
        // Bob cannot revoke Alice's device.
        await #expect(throws: APIError.notFound("device")) {
            try await harness.accounts.revokeDevice(second.device.id, of: try await harness.session(bobs.token))
        }
        try await harness.accounts.revokeDevice(second.device.id, of: session)
        await #expect(throws: APIError.unauthenticated) { try await harness.session(second.token) }
        try await harness.accounts.logout(session)
        await #expect(throws: APIError.unauthenticated) { try await harness.session(first.token) }
        await #expect(throws: APIError.notFound("device")) { try await harness.accounts.logout(session) }
        #expect(try await harness.session(bobs.token).userID == bob.user.id)
    }
}
