@testable import CoffreServer
import CoffreProtocol
import Foundation
import SQLiteStore
import Testing

@Suite struct AuditAndAdministrationTests {
    /// Reads its figure from the same snapshot as the accounts section.
    private struct DeviceNameLengths: ServerStatsContributor {
        func contribute(to stats: inout ServerStats, in db: SQLiteStore.Connection) throws {
            let total = try db.fetchValue("SELECT coalesce(sum(length(name)), 0) FROM devices", [], as: Int64.self) ?? 0
            stats.accounts.usedBytes += total
        }
    }

    @Test func statsContributorsAddTheirFigures() async throws {
        let harness = try await AccountsHarness()
        harness.accounts.addStatsContributor(DeviceNameLengths())
        let alice = try await harness.member("alice")
        _ = try await harness.login(alice, device: "12345")
        try await harness.accounts.quotas.reserve(100, forUser: alice.user.id)
        #expect(try await harness.accounts.stats().accounts.usedBytes == 105)
    }

    @Test func eventsAreRecordedAndUsersSeeOnlyTheirOwn() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let bob = try await harness.member("bob")
        let aliceLogin = try await harness.login(alice)
        _ = try await harness.login(bob)
        let session = try await harness.session(aliceLogin.token)
        let own = try await harness.accounts.audit(of: session, since: nil, before: nil, limit: nil)
        #expect(own.entries.map(\.event) == [.deviceCreated, .loginSucceeded, .inviteRedeemed, .inviteCreated])
        #expect(own.entries.allSatisfy { $0.userID == alice.user.id && $0.userName == "alice" })
        #expect(own.entries.first?.detail == "laptop")
        #expect(own.entries.last?.actor == .adminToken)

        let all = try await harness.accounts.audit(user: nil, since: nil, before: nil, limit: nil)
        #expect(Set(all.entries.compactMap(\.userName)) == ["alice", "bob"])
        let bobs = try await harness.accounts.audit(user: "bob", since: nil, before: nil, limit: nil)
        #expect(bobs.entries.allSatisfy { $0.userName == "bob" })
        await #expect(throws: APIError.notFound("user")) { try await harness.accounts.audit(user: "nobody", since: nil, before: nil, limit: nil) }
    }

    @Test func pagingAndTimeFilters() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let start = harness.clock.now
        for index in 0..<7 {
            harness.clock.advance(by: 10)
            _ = try await harness.login(alice, device: "d\(index)")
        }
        let recent = try await harness.accounts.audit(user: "alice", since: start + 50, before: nil, limit: nil)
        #expect(recent.entries.count == 6)
        var collected: [AuditEntry] = []
        var before: Int64?
        repeat {
            let page = try await harness.accounts.audit(user: "alice", since: nil, before: before, limit: 4)
            #expect(page.entries.count <= 4)
            collected += page.entries
            before = page.nextBefore
        } while before != nil
        #expect(collected.count == 16)
        #expect(collected.map(\.id) == collected.map(\.id).sorted(by: >))
        for limit in [0, -1, 1_001] {
            await #expect(throws: APIError.self) { try await harness.accounts.audit(user: nil, since: nil, before: nil, limit: limit) }
        }
    }

    @Test func userAdministration() async throws {
        let harness = try await AccountsHarness()
        _ = try await harness.member("zoe")
        _ = try await harness.invite("adam", isAdmin: true)
        let list = try await harness.accounts.listUsers()
        #expect(list.users.map(\.name) == ["adam", "zoe"])
        #expect(list.users.map(\.isRegistered) == [false, true])
        let adam = try await harness.accounts.userDetail(named: "adam")
        #expect(adam.user.isAdmin)
        #expect(adam.inviteExpiresAt == harness.clock.now + 7 * 86_400)
        #expect(try await harness.accounts.userDetail(named: "zoe").inviteExpiresAt == nil)
        await #expect(throws: APIError.notFound("user")) { try await harness.accounts.userDetail(named: "nobody") }
        await #expect(throws: APIError.self) { try await harness.accounts.userDetail(named: "../zoe") }
        let disabled = try await harness.accounts.setUser(named: "zoe", disabled: true, by: .user(1))
        #expect(disabled.isDisabled)
        // Twice is harmless and audited once.
        _ = try await harness.accounts.setUser(named: "zoe", disabled: true, by: .user(1))
        let events = try await harness.accounts.audit(user: "zoe", since: nil, before: nil, limit: nil).entries
        #expect(events.filter { $0.event == .userDisabled }.count == 1)
        #expect(events.first?.actor == .adminUser)
        #expect(events.first?.actorID == 1)
        let stats = try await harness.accounts.stats()
        #expect(stats.accounts == AccountStats(
            users: 2, registeredUsers: 1, disabledUsers: 1, adminUsers: 1, pendingInvites: 1, devices: 0, adminTokens: 0, usedBytes: 0))
    }

    @Test func adminDevicesListAndRevoke() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let bob = try await harness.member("bob")
        let aliceLogin = try await harness.login(alice)
        let bobLogin = try await harness.login(bob)
        _ = try await harness.session(bobLogin.token)
        #expect(try await harness.accounts.listDevices(ofUser: nil).devices.map(\.userName) == ["alice", "bob"])
        #expect(try await harness.accounts.listDevices(ofUser: "bob").devices.map(\.id) == [bobLogin.device.id])
        try await harness.accounts.revokeDevice(bobLogin.device.id, by: .token(7))
        await #expect(throws: APIError.unauthenticated) { try await harness.session(bobLogin.token) }
        await #expect(throws: APIError.notFound("device")) { try await harness.accounts.revokeDevice(bobLogin.device.id, by: .token(7)) }
        _ = try await harness.session(aliceLogin.token)
    }

    @Test func adminTokensAreSeparatePrincipals() async throws {
        let harness = try await AccountsHarness()
        let created = try await harness.accounts.createAdminToken(CreateAdminTokenRequest(name: "backup script"), by: .token(0))
        #expect(created.token.hasPrefix("cfa_"))
        let principal = try await harness.accounts.authenticator.authenticate(token: created.token)
        #expect(principal == .adminToken(AdminTokenSession(tokenID: created.info.id)))
        #expect(principal.adminActor == .token(created.info.id))
        #expect(try await harness.accounts.listAdminTokens().tokens.map(\.name) == ["backup script"])
        try await harness.accounts.revokeAdminToken(created.info.id, by: .token(created.info.id))
        await #expect(throws: APIError.unauthenticated) { try await harness.accounts.authenticator.authenticate(token: created.token) }
        await #expect(throws: APIError.notFound("admin token")) { try await harness.accounts.revokeAdminToken(created.info.id, by: .token(0)) }
        await #expect(throws: APIError.self) { try await harness.accounts.createAdminToken(CreateAdminTokenRequest(name: ""), by: .token(0)) }
        let audit = try await harness.accounts.audit(user: nil, since: nil, before: nil, limit: nil).entries.map(\.event)
        #expect(audit == [.adminTokenRevoked, .adminTokenCreated])
    }
}
