@testable import CoffreServer
import CoffreProtocol
import Foundation
import Testing

@Suite struct RegistrationTests {
    @Test func inviteThenRegisterThenLogin() async throws {
        let harness = try await AccountsHarness()
        let created = try await harness.invite("alice")
        #expect(!created.user.isRegistered)
        #expect(created.invite.code.hasPrefix("cfi_"))
        #expect(created.invite.expiresAt == harness.clock.now + 7 * 86_400)
        let authKey = AccountsHarness.randomBytes(32)
        let user = try await harness.accounts.register(harness.registerRequest("alice", code: created.invite.code, authKey: authKey))
        #expect(user.isRegistered)
        #expect(user.name == "alice")
        let member = AccountsHarness.Member(name: "alice", authKey: authKey, user: user, keys: AccountsHarness.keyMaterial())
        let login = try await harness.login(member)
        #expect(login.token.hasPrefix("cft_"))
        #expect(login.user.id == user.id)
    }

    @Test func aReusedInviteIsRefused() async throws {
        let harness = try await AccountsHarness()
        let created = try await harness.invite("bob")
        _ = try await harness.accounts.register(harness.registerRequest("bob", code: created.invite.code, authKey: AccountsHarness.randomBytes(32)))
        await #expect(throws: APIError.invalidInvite) {
            try await harness.accounts.register(harness.registerRequest("bob", code: created.invite.code, authKey: AccountsHarness.randomBytes(32)))
        }
    }

    @Test func unknownMalformedAndForeignInvitesAreRefused() async throws {
        let harness = try await AccountsHarness()
        let carol = try await harness.invite("carol")
        _ = try await harness.invite("dave")
        for code in ["cfi_AAAAAAAAAAAAAAAAAAAAAA", "", "cfi_", "not-a-code", carol.invite.code + "x", String(repeating: "a", count: 5000)] {
            await #expect(throws: APIError.invalidInvite) {
                try await harness.accounts.register(harness.registerRequest("carol", code: code, authKey: AccountsHarness.randomBytes(32)))
            }
        }
        // Carol's code does not register dave.
        await #expect(throws: APIError.invalidInvite) {
            try await harness.accounts.register(harness.registerRequest("dave", code: carol.invite.code, authKey: AccountsHarness.randomBytes(32)))
        }
    }

    @Test func anExpiredInviteIsRefusedAndCanBeReissued() async throws {
        let harness = try await AccountsHarness()
        let created = try await harness.invite("erin")
        harness.clock.advance(by: 7 * 86_400)
        await #expect(throws: APIError.inviteExpired) {
            try await harness.accounts.register(harness.registerRequest("erin", code: created.invite.code, authKey: AccountsHarness.randomBytes(32)))
        }
        let fresh = try await harness.accounts.reissueInvite(forUser: "erin", ReissueInviteRequest(), by: AccountsHarness.admin)
        // The re-issue invalidates the old code even once it would be in time again.
        await #expect(throws: APIError.invalidInvite) {
            try await harness.accounts.register(harness.registerRequest("erin", code: created.invite.code, authKey: AccountsHarness.randomBytes(32)))
        }
        _ = try await harness.accounts.register(harness.registerRequest("erin", code: fresh.code, authKey: AccountsHarness.randomBytes(32)))
        await #expect(throws: APIError.alreadyRegistered) {
            try await harness.accounts.reissueInvite(forUser: "erin", ReissueInviteRequest(), by: AccountsHarness.admin)
        }
    }

    @Test(arguments: [
        "", "Alice", "al ice", "a/b", "../etc", "/root", "-dash", ".dot", "_under", "ünïcode", "e\u{301}", "Ａlice",
        "alice\u{0}", "alice\n", "a\u{202E}b", "аlice", String(repeating: "a", count: 65), "x%2Fy",
    ])
    func oddNamesAreRefusedWithAClearCode(_ name: String) async throws {
        let harness = try await AccountsHarness()
        do {
            _ = try await harness.invite(name)
            Issue.record("accepted \(name.debugDescription)")
        } catch let error as APIError {
            #expect(error.code == .invalidUserName)
            #expect(error.statusCode == 400)
            #expect(!name.isEmpty ? !error.message.contains(name) : true)
        }
        await #expect(throws: APIError.self) { try await harness.accounts.prelogin(PreloginRequest(userName: name)) }
    }

    @Test(arguments: ["a", "0", "alice", "a.b_c-d", "user.2026", String(repeating: "z", count: 64)])
    func validNamesAreAccepted(_ name: String) async throws {
        let harness = try await AccountsHarness()
        let created = try await harness.invite(name)
        #expect(created.user.name == name)
    }

    @Test func aTakenNameIsRefused() async throws {
        let harness = try await AccountsHarness()
        _ = try await harness.invite("frank")
        await #expect(throws: APIError.userExists) { try await harness.invite("frank") }
    }

    @Test func oversizeAndMisshapenFieldsAreRefused() async throws {
        let harness = try await AccountsHarness()
        let created = try await harness.invite("gina")
        let code = created.invite.code
        func attempt(_ change: (inout RegisterRequest) -> Void) async -> APIError? {
            var request = harness.registerRequest("gina", code: code, authKey: AccountsHarness.randomBytes(32))
            change(&request)
            do {
                _ = try await harness.accounts.register(request)
                return nil
            } catch {
                return error
            }
        }
        #expect(await attempt { $0.authKey = Base64Bytes(AccountsHarness.randomBytes(31)) }?.code == .invalidField)
        #expect(await attempt { $0.authKey = Base64Bytes([]) }?.code == .invalidField)
        #expect(await attempt { $0.keys.x25519PublicKey = Base64Bytes(AccountsHarness.randomBytes(33)) }?.code == .invalidField)
        #expect(await attempt { $0.keys.wrappedEd25519PrivateKey = Base64Bytes(AccountsHarness.randomBytes(513)) }?.code == .invalidField)
        #expect(await attempt { $0.keys.wrappedX25519PrivateKey = Base64Bytes([]) }?.code == .invalidField)
        #expect(await attempt { $0.kdf.salt = Base64Bytes(AccountsHarness.randomBytes(8)) }?.code == .invalidKDFParameters)
        #expect(await attempt { $0.kdf.n = 1000 }?.code == .invalidKDFParameters)
        #expect(await attempt { $0.kdf.n = 1 << 9 }?.code == .invalidKDFParameters)
        #expect(await attempt { $0.kdf.r = 1 }?.code == .invalidKDFParameters)
        #expect(await attempt { $0.kdf.p = 17 }?.code == .invalidKDFParameters)
        #expect(await attempt { $0.kdf.n = 1 << 40 }?.code == .invalidKDFParameters)
        // None of these consumed the invite.
        #expect(await attempt { _ in } == nil)
    }

    @Test func inviteValidityIsBounded() async throws {
        let harness = try await AccountsHarness()
        for seconds: Int64 in [0, -1, 59, 91 * 86_400, .max] {
            await #expect(throws: APIError.self) {
                try await harness.accounts.createUser(CreateUserRequest(userName: "h\(abs(seconds % 1000))", inviteValidSeconds: seconds), by: AccountsHarness.admin)
            }
        }
        let short = try await harness.accounts.createUser(CreateUserRequest(userName: "ivy", inviteValidSeconds: 3_600), by: AccountsHarness.admin)
        #expect(short.invite.expiresAt == harness.clock.now + 3_600)
    }
}
