@testable import CoffreServer
import CoffreProtocol
import Foundation
import Testing

@Suite struct QuotaServiceTests {
    @Test func reservationsStayWithinTheQuota() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice", quota: 1_000)
        let quotas = harness.accounts.quotas
        try await quotas.reserve(600, forUser: alice.user.id)
        await #expect(throws: APIError.quotaExceeded) { try await quotas.reserve(401, forUser: alice.user.id) }
        try await quotas.reserve(400, forUser: alice.user.id)
        #expect(try await quotas.usage(ofUser: alice.user.id) == QuotaInfo(limitBytes: 1_000, usedBytes: 1_000))
        try await quotas.release(300, forUser: alice.user.id)
        try await quotas.release(5_000, forUser: alice.user.id)
        #expect(try await quotas.usage(ofUser: alice.user.id).usedBytes == 0)
        #expect(APIError.quotaExceeded.statusCode == 507)
    }

    @Test func badAmountsAndUnknownUsersAreRefused() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let quotas = harness.accounts.quotas
        for bytes: Int64 in [0, -1, .min] {
            await #expect(throws: APIError.self) { try await quotas.reserve(bytes, forUser: alice.user.id) }
            await #expect(throws: APIError.self) { try await quotas.release(bytes, forUser: alice.user.id) }
        }
        await #expect(throws: APIError.notFound("user")) { try await quotas.reserve(1, forUser: 9_999) }
        // Unlimited still cannot overflow the counter.
        try await quotas.reserve(.max - 10, forUser: alice.user.id)
        await #expect(throws: APIError.quotaExceeded) { try await quotas.reserve(11, forUser: alice.user.id) }
    }

    @Test func concurrentReservationsNeverOvershoot() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice", quota: 10_000)
        let quotas = harness.accounts.quotas
        let granted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<50 { group.addTask { (try? await quotas.reserve(300, forUser: alice.user.id)) != nil } }
            var count = 0
            for await ok in group where ok { count += 1 }
            return count
        }
        #expect(granted == 33)
        #expect(try await quotas.usage(ofUser: alice.user.id).usedBytes == 9_900)
    }

    @Test func theDefaultQuotaComesFromTheSettingsAndTheAdminChangesIt() async throws {
        let harness = try await AccountsHarness(settings: AccountSettings(defaultQuotaBytes: 5 << 30))
        let alice = try await harness.member("alice")
        #expect(alice.user.quota.limitBytes == 5 << 30)
        let bob = try await harness.member("bob", quota: 123)
        #expect(bob.user.quota.limitBytes == 123)
        let unlimited = try await harness.accounts.setQuota(ofUser: "alice", SetQuotaRequest(quotaBytes: nil), by: AccountsHarness.admin)
        #expect(unlimited.quota.limitBytes == nil)
        await #expect(throws: APIError.self) {
            try await harness.accounts.setQuota(ofUser: "alice", SetQuotaRequest(quotaBytes: -5), by: AccountsHarness.admin)
        }
        let session = try await harness.session(try await harness.login(alice).token)
        #expect(try await harness.accounts.account(of: session).user.quota.limitBytes == nil)
        let entry = try await harness.accounts.audit(user: "alice", since: nil, before: nil, limit: nil).entries.first { $0.event == .quotaChanged }
        #expect(entry?.event == .quotaChanged)
        #expect(entry?.detail == "unlimited")
        #expect(entry?.actor == .adminToken)
    }
}
