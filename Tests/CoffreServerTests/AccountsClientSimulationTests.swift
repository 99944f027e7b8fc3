@testable import CoffreServer
import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Foundation
import Testing

/// The whole account flow with a client simulated by CoffreClient's real key derivation, at the
/// documented test-only KDF cost: pre-login, derive, register, log in, unwrap the keys.
@Suite struct AccountsClientSimulationTests {
    @Test func aClientRegistersAndLogsInWithKeysDerivedFromItsPassword() async throws {
        let harness = try await AccountsHarness()
        let invite = try await harness.invite("alice")
        let parameters = KDFParameters.testingOnly(salt: try SecureRandom.bytes(count: 16))
        let keys = try AccountKeys.derive(password: "correct horse battery staple", parameters: parameters, policy: .testingOnly)
        let authKey = Array(keys.authKey)
        let kdf = ScryptParameters(n: parameters.cost.n, r: parameters.cost.r, p: parameters.cost.p, salt: parameters.salt)
        let material = AccountsHarness.keyMaterial()
        _ = try await harness.accounts.register(
            RegisterRequest(userName: "alice", inviteCode: invite.invite.code, kdf: kdf, authKey: authKey, keys: material))

        // Later, on another device: pre-login, derive again, log in.
        let prelogin = try await harness.accounts.prelogin(PreloginRequest(userName: "alice"))
        let fetched = KDFParameters(
            cost: Scrypt.Parameters(n: prelogin.kdf.n, r: prelogin.kdf.r, p: prelogin.kdf.p), salt: prelogin.kdf.salt.bytes)
        let again = try AccountKeys.derive(password: "correct horse battery staple", parameters: fetched, policy: .testingOnly)
        let login = try await harness.accounts.login(
            LoginRequest(userName: "alice", authKey: Array(again.authKey), deviceName: "phone", scopes: [.sync]), from: nil)
        #expect(login.keys == material)

        // A wrong password derives another authKey and fails.
        let wrong = try AccountKeys.derive(password: "Correct horse battery staple", parameters: fetched, policy: .testingOnly)
        await #expect(throws: APIError.invalidCredentials) {
            try await harness.accounts.login(
                LoginRequest(userName: "alice", authKey: Array(wrong.authKey), deviceName: "phone", scopes: [.sync]), from: nil)
        }
        // A standard client refuses the fake parameters of no account? No: they are standard,
        // so an attacker cannot tell them apart by the client's policy either.
        let ghost = try await harness.accounts.prelogin(PreloginRequest(userName: "ghost"))
        let ghostParameters = KDFParameters(
            cost: Scrypt.Parameters(n: ghost.kdf.n, r: ghost.kdf.r, p: ghost.kdf.p), salt: ghost.kdf.salt.bytes)
        try KDFPolicy.standard.check(ghostParameters)
    }
}
