@testable import CoffreServer
import CoffreProtocol
import Foundation
import Testing

@Suite struct PasswordChangeTests {
    private func change(_ member: AccountsHarness.Member, current: [UInt8]? = nil, revoke: Bool) -> (PasswordChangeRequest, [UInt8]) {
        let newKey = AccountsHarness.randomBytes(32)
        let request = PasswordChangeRequest(
            currentAuthKey: current ?? member.authKey, kdf: AccountsHarness.kdf(), authKey: newKey,
            wrappedPrivateKeys: WrappedPrivateKeys(x25519: AccountsHarness.randomBytes(61), ed25519: AccountsHarness.randomBytes(61)),
            revokeOtherDevices: revoke)
        return (request, newKey)
    }

    @Test(arguments: [false, true])
    func otherDevicesAreKeptOrRevokedAsAsked(revoke: Bool) async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let phone = try await harness.login(alice, device: "phone")
        let laptop = try await harness.login(alice, device: "laptop")
        let session = try await harness.session(phone.token)
        _ = try await harness.session(laptop.token)
        let (request, newKey) = change(alice, revoke: revoke)
        let result = try await harness.accounts.changePassword(request, session: session, from: nil)
        #expect(result.revokedDevices == (revoke ? 1 : 0))
        #expect(try await harness.session(phone.token) == session)
        if revoke {
            await #expect(throws: APIError.unauthenticated) { try await harness.session(laptop.token) }
        } else {
            _ = try await harness.session(laptop.token)
        }
        // The old key is dead, the new one works; pre-login reports the new salt; keys re-wrapped.
        await #expect(throws: APIError.invalidCredentials) { try await harness.login(alice) }
        let renewed = AccountsHarness.Member(name: "alice", authKey: newKey, user: alice.user, keys: alice.keys)
        let login = try await harness.login(renewed)
        #expect(login.keys.wrappedX25519PrivateKey == request.wrappedPrivateKeys.x25519)
        #expect(login.keys.x25519PublicKey == alice.keys.x25519PublicKey)
        #expect(try await harness.accounts.prelogin(PreloginRequest(userName: "alice")).kdf == request.kdf)
        let events = try await harness.accounts.audit(of: session, since: nil, before: nil, limit: nil).entries.map(\.event)
        #expect(events.contains(.passwordChanged))
        #expect(events.filter { $0 == .deviceRevoked }.count == (revoke ? 1 : 0))
    }

    @Test func theCurrentKeyIsRequiredAndThrottled() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let login = try await harness.login(alice)
        let session = try await harness.session(login.token)
        for _ in 0..<6 {
            let (request, _) = change(alice, current: AccountsHarness.randomBytes(32), revoke: true)
            await #expect(throws: APIError.invalidCredentials) { try await harness.accounts.changePassword(request, session: session, from: nil) }
        }
        let (request, _) = change(alice, revoke: true)
        await #expect(throws: APIError.throttled(retryAfterSeconds: 1)) {
            try await harness.accounts.changePassword(request, session: session, from: nil)
        }
        // Nothing changed: the old key still logs in once the block is over.
        harness.clock.advance(by: 1)
        _ = try await harness.login(alice)
    }

    @Test func malformedNewValuesChangeNothing() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let session = try await harness.session(try await harness.login(alice).token)
        var (request, _) = change(alice, revoke: false)
        request.kdf.n = 3
        await #expect(throws: APIError.self) { try await harness.accounts.changePassword(request, session: session, from: nil) }
        (request, _) = change(alice, revoke: false)
        request.wrappedPrivateKeys.ed25519 = Base64Bytes(AccountsHarness.randomBytes(600))
        await #expect(throws: APIError.self) { try await harness.accounts.changePassword(request, session: session, from: nil) }
        _ = try await harness.login(alice)
    }
}
