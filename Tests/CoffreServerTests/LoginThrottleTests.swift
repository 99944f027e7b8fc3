@testable import CoffreServer
import CoffreProtocol
import Foundation
import Testing

@Suite struct LoginThrottleTests {
    private func guess(_ harness: AccountsHarness, _ name: String, address: [UInt8]? = [192, 0, 2, 1]) async -> APIError? {
        do {
            _ = try await harness.accounts.login(
                LoginRequest(userName: name, authKey: AccountsHarness.randomBytes(32), deviceName: "d", scopes: [.sync]), from: address)
            return nil
        } catch {
            return error
        }
    }

    @Test func delaysGrowExponentiallyUpToTheCapAndSuccessResets() async throws {
        var policy = LoginThrottle.Policy()
        policy.maximumDelaySeconds = 16
        let harness = try await AccountsHarness(policy: policy)
        let alice = try await harness.member("alice")
        // Five free failures, then the sixth earns a 1 s block.
        for _ in 0..<6 { #expect(await guess(harness, "alice")?.code == .invalidCredentials) }
        var expected = 1
        for _ in 0..<7 {
            let blocked = await guess(harness, "alice")
            #expect(blocked?.code == .throttled)
            #expect(blocked?.statusCode == 429)
            #expect(blocked?.retryAfterSeconds == expected)
            // Even the right key is refused while blocked.
            await #expect(throws: APIError.throttled(retryAfterSeconds: expected)) { try await harness.login(alice) }
            harness.clock.advance(by: Int64(expected))
            #expect(await guess(harness, "alice")?.code == .invalidCredentials)
            expected = min(expected * 2, 16)
        }
        harness.clock.advance(by: 16)
        _ = try await harness.login(alice)
        #expect(harness.accounts.throttle.status().accounts.isEmpty)
        #expect(await guess(harness, "alice")?.code == .invalidCredentials)
    }

    @Test func unknownNamesAreThrottledExactlyLikeRealOnes() async throws {
        let harness = try await AccountsHarness()
        _ = try await harness.member("alice")
        var real: [ErrorCode] = []
        var ghost: [ErrorCode] = []
        for _ in 0..<8 {
            real.append(await guess(harness, "alice", address: nil)?.code ?? .internalError)
            ghost.append(await guess(harness, "ghost", address: nil)?.code ?? .internalError)
        }
        #expect(real == ghost)
        #expect(real.last == .throttled)
    }

    @Test func addressesAreThrottledAcrossAccountsAndCountedNotListed() async throws {
        var policy = LoginThrottle.Policy()
        policy.freeAddressFailures = 3
        let harness = try await AccountsHarness(policy: policy)
        let attacker: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        var sameSubnet = attacker
        sameSubnet[15] = 99
        for index in 0..<4 { #expect(await guess(harness, "user\(index)", address: attacker)?.code == .invalidCredentials) }
        // The /64 is blocked, whatever the account and the host part.
        #expect(await guess(harness, "someone-else", address: sameSubnet)?.code == .throttled)
        // Another address is not.
        #expect(await guess(harness, "someone-else", address: [198, 51, 100, 7])?.code == .invalidCredentials)
        let status = harness.accounts.throttle.status()
        #expect(status.addressCount == 2)
        #expect(status.blockedAddressCount == 1)
        #expect(status.accounts.map(\.userName) == ["someone-else", "user0", "user1", "user2", "user3"])
        let encoded = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
        #expect(!encoded.contains("198.51") && !encoded.contains("2001"))
        harness.accounts.throttle.clearAll()
        #expect(await guess(harness, "user0", address: attacker)?.code == .invalidCredentials)
    }

    @Test func adminCanClearOneAccount() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        for _ in 0..<6 { _ = await guess(harness, "alice", address: nil) }
        await #expect(throws: APIError.self) { try await harness.login(alice, address: nil) }
        #expect(harness.accounts.throttle.status().accounts.first?.retryAfterSeconds == 1)
        #expect(harness.accounts.throttle.clear(account: "alice"))
        #expect(!harness.accounts.throttle.clear(account: "alice"))
        _ = try await harness.login(alice, address: nil)
    }

    @Test func concurrentGuessesAreCheckedOneByOne() async throws {
        let harness = try await AccountsHarness()
        _ = try await harness.member("alice")
        let codes = await withTaskGroup(of: ErrorCode?.self) { group in
            for _ in 0..<30 { group.addTask { await self.guess(harness, "alice", address: nil)?.code } }
            var codes: [ErrorCode?] = []
            for await code in group { codes.append(code) }
            return codes
        }
        // However they interleave, only the free failures plus the one that starts the block
        // reach the authKey check; the rest are refused by the throttle.
        #expect(codes.filter { $0 == .invalidCredentials }.count == 6)
        #expect(codes.filter { $0 == .throttled }.count == 24)
    }

    @Test func failuresAreForgottenAfterADay() async throws {
        let harness = try await AccountsHarness()
        for _ in 0..<5 { _ = await guess(harness, "alice", address: nil) }
        harness.clock.advance(by: 86_400)
        for _ in 0..<5 { #expect(await guess(harness, "alice", address: nil)?.code == .invalidCredentials) }
        #expect(harness.accounts.throttle.status().accounts.first?.failures == 5)
    }

    @Test func theTableIsBounded() {
        var policy = LoginThrottle.Policy()
        policy.maximumEntries = 10
        let clock = ManualClock()
        let throttle = LoginThrottle(policy: policy, clock: clock.serverClock)
        for index in 0..<50 {
            throttle.recordFailure(account: "name\(index)", address: [10, 0, 0, UInt8(index)])
            clock.advance(by: 1)
        }
        let status = throttle.status()
        #expect(status.accounts.count == 10)
        #expect(status.addressCount == 10)
        #expect(status.accounts.contains { $0.userName == "name49" })
    }
}
