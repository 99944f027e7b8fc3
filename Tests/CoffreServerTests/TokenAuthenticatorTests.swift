@testable import CoffreServer
import CoffreProtocol
import Foundation
import Testing

@Suite struct TokenAuthenticatorTests {
    @Test func malformedHeadersAndTokensAreUnauthenticated() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let login = try await harness.login(alice)
        let authenticator = harness.accounts.authenticator
        for header: String? in [
            nil, "", "Bearer", "Bearer ", "Basic \(login.token)", "Bearer \(login.token) extra", "Bearer\(login.token)",
            "Bearer cft_", "Bearer " + login.token.dropLast() + "!", "Bearer cfi_AAAAAAAAAAAAAAAAAAAAAA",
            "Bearer " + String(repeating: "A", count: 10_000), "Bearer cft_" + String(repeating: "A", count: 43),
            "Bearer cfa_" + String(login.token.dropFirst(4)),
            "Bearer\t\(login.token)", "Bearerx \(login.token)", "Bear \(login.token)", "Bearér \(login.token)",
            "Bearer \(login.token)\t", "Bearer \(login.token) \(login.token)", "\(login.token) Bearer",
        ] {
            await #expect(throws: APIError.unauthenticated) { try await authenticator.authenticate(authorization: header) }
        }
        for header in ["Bearer \(login.token)", "bearer \(login.token)", "BEARER  \(login.token)", " bEaReR \(login.token)  "] {
            #expect(try await authenticator.authenticate(authorization: header) == .device(try await harness.session(login.token)))
        }
    }

    @Test func theCachedLookupAnswersOnlyWhatTheFullOneWould() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let login = try await harness.login(alice)
        let authenticator = harness.accounts.authenticator
        #expect(authenticator.cachedPrincipal(token: login.token) == nil, "nothing is cached before a full lookup")
        let session = try await harness.session(login.token)
        #expect(authenticator.cachedPrincipal(token: login.token) == .device(session))
        let altered = String(login.token.dropLast()) + (login.token.hasSuffix("A") ? "B" : "A")
        for token in ["", "cft_", String(login.token.dropLast()), login.token + "A", altered, "cfa_" + login.token.dropFirst(4)] {
            #expect(authenticator.cachedPrincipal(token: token) == nil)
        }
        // A "last seen" write is due: only the full lookup does it.
        harness.clock.advance(by: 3_600)
        #expect(authenticator.cachedPrincipal(token: login.token) == nil)
        _ = try await harness.session(login.token)
        #expect(authenticator.cachedPrincipal(token: login.token) == .device(session))
        authenticator.invalidate(devices: [session.deviceID])
        #expect(authenticator.cachedPrincipal(token: login.token) == nil, "revocation empties the cache at once")
    }

    @Test func lastSeenIsWrittenAtMostOncePerMinute() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let login = try await harness.login(alice)
        func lastSeen() async throws -> Int64? {
            try await harness.database.queue.read { db in
                try db.fetchValue("SELECT last_seen_at FROM devices WHERE id = ?", [login.device.id], as: Int64.self)
            }
        }
        let start = try #require(try await lastSeen())
        #expect(start % 60 == 0)
        harness.clock.advance(by: 59 - (harness.clock.now % 60))
        _ = try await harness.session(login.token)
        #expect(try await lastSeen() == start)
        harness.clock.advance(by: 1)
        _ = try await harness.session(login.token)
        #expect(try await lastSeen() == start + 60)
        harness.clock.advance(by: 30)
        _ = try await harness.session(login.token)
        #expect(try await lastSeen() == start + 60)
        harness.clock.advance(by: 3_600)
        _ = try await harness.session(login.token)
        #expect(try await lastSeen() == start + 3_660)
    }

    @Test func deletedRowsAreNotServedFromTheCache() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let logins = try await (0..<20).asyncMap { index in try await harness.login(alice, device: "d\(index)") }
        for login in logins { _ = try await harness.session(login.token) }
        let keep = try await harness.session(logins[0].token)
        // Revoking all the others with a password change.
        let change = PasswordChangeRequest(
            currentAuthKey: alice.authKey, kdf: AccountsHarness.kdf(), authKey: AccountsHarness.randomBytes(32),
            wrappedPrivateKeys: WrappedPrivateKeys(x25519: AccountsHarness.randomBytes(61), ed25519: AccountsHarness.randomBytes(61)),
            revokeOtherDevices: true)
        let result = try await harness.accounts.changePassword(change, session: keep, from: nil)
        #expect(result.revokedDevices == 19)
        for login in logins.dropFirst() {
            await #expect(throws: APIError.unauthenticated) { try await harness.session(login.token) }
        }
        #expect(try await harness.session(logins[0].token) == keep)
    }

    @Test func revocationRacingLookupsNeverLeavesARevokedTokenUsable() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        for round in 0..<10 {
            let login = try await harness.login(alice, device: "r\(round)")
            let session = try await harness.session(login.token)
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { _ = try? await harness.session(login.token) } }
                group.addTask { try? await harness.accounts.logout(session) }
            }
            await #expect(throws: APIError.unauthenticated) { try await harness.session(login.token) }
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
