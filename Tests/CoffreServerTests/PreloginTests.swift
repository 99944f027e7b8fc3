@testable import CoffreServer
import CoffreProtocol
import Foundation
import Testing

@Suite struct PreloginTests {
    @Test func registeredUsersGetTheirOwnParameters() async throws {
        let harness = try await AccountsHarness()
        let invite = try await harness.invite("alice")
        let request = harness.registerRequest("alice", code: invite.invite.code, authKey: AccountsHarness.randomBytes(32))
        _ = try await harness.accounts.register(request)
        let answer = try await harness.accounts.prelogin(PreloginRequest(userName: "alice"))
        #expect(answer.kdf == request.kdf)
    }

    @Test func unknownNamesGetStableFakeValuesShapedLikeRealOnes() async throws {
        let harness = try await AccountsHarness()
        let first = try await harness.accounts.prelogin(PreloginRequest(userName: "nobody"))
        let second = try await harness.accounts.prelogin(PreloginRequest(userName: "nobody"))
        let other = try await harness.accounts.prelogin(PreloginRequest(userName: "nobody2"))
        #expect(first == second)
        #expect(first.kdf.salt != other.kdf.salt)
        // Same shape as a real account on standard settings: N = 2^17, r = 8, p = 1, 16-byte salt.
        #expect(first.kdf.n == 1 << 17 && first.kdf.r == 8 && first.kdf.p == 1)
        #expect(first.kdf.salt.count == 16)
        #expect(first.kdf.salt.bytes != [UInt8](repeating: 0, count: 16))
        // The JSON has the same fields, in the same form, as a real answer.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let fakeJSON = String(decoding: try encoder.encode(first), as: UTF8.self)
        let real = PreloginResponse(kdf: ScryptParameters(n: 1 << 17, r: 8, p: 1, salt: AccountsHarness.randomBytes(16)))
        let realJSON = String(decoding: try encoder.encode(real), as: UTF8.self)
        #expect(fakeJSON.count == realJSON.count)
    }

    @Test func fakeValuesSurviveARestartButNotAnotherServer() async throws {
        let harness = try await AccountsHarness()
        let before = try await harness.accounts.prelogin(PreloginRequest(userName: "ghost"))
        let reopened = try await Accounts.open(
            database: try await AccountsHarness.openDatabase(path: harness.directory + "/coffred.db"), settings: AccountSettings(),
            clock: harness.clock.serverClock, logger: harness.log.logger)
        #expect(try await reopened.prelogin(PreloginRequest(userName: "ghost")) == before)
        let otherServer = try await AccountsHarness()
        #expect(try await otherServer.accounts.prelogin(PreloginRequest(userName: "ghost")) != before)
    }

    @Test func invitedButUnregisteredLooksUnknown() async throws {
        let harness = try await AccountsHarness()
        let unknown = try await harness.accounts.prelogin(PreloginRequest(userName: "pending"))
        _ = try await harness.invite("pending")
        #expect(try await harness.accounts.prelogin(PreloginRequest(userName: "pending")) == unknown)
    }
}
