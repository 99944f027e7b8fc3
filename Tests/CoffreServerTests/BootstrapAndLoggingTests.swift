@testable import CoffreServer
import CoffreProtocol
import Foundation
import Glibc
import SQLiteStore
import Testing

@Suite struct BootstrapAndLoggingTests {
    @Test func theFirstStartWritesOnePrivateAdminToken() async throws {
        let harness = try await AccountsHarness()
        let data = try DataDirectory(path: harness.directory + "/data")
        let path = try #require(try await harness.accounts.createFirstAdminTokenIfNeeded(dataDirectory: data))
        #expect(path == data.file("admin.token"))
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(token.hasPrefix("cfa_"))
        guard case .adminToken = try await harness.accounts.authenticator.authenticate(token: token) else {
            Issue.record("the file does not hold an admin token")
            return
        }
        // The log says where, never what.
        #expect(harness.log.text.contains("created the first admin token"))
        #expect(harness.log.text.contains(path))
        #expect(!harness.log.text.contains(token))
        #expect(!harness.log.text.contains(String(token.dropFirst(4))))
        // Later starts do nothing, even once the token is revoked.
        let list = try await harness.accounts.listAdminTokens()
        try await harness.accounts.revokeAdminToken(try #require(list.tokens.first).id, by: .token(0))
        #expect(try await harness.accounts.createFirstAdminTokenIfNeeded(dataDirectory: data) == nil)
        #expect(try await harness.accounts.listAdminTokens().tokens.isEmpty)
        let audit = try await harness.accounts.audit(user: nil, since: nil, before: nil, limit: nil).entries
        #expect(audit.last?.actor == .system)
    }

    @Test func secretsNeverReachTheLog() async throws {
        let harness = try await AccountsHarness()
        let invite = try await harness.invite("alice", isAdmin: true)
        let authKey = AccountsHarness.randomBytes(32)
        _ = try await harness.accounts.register(harness.registerRequest("alice", code: invite.invite.code, authKey: authKey))
        let member = AccountsHarness.Member(name: "alice", authKey: authKey, user: invite.user, keys: AccountsHarness.keyMaterial())
        let login = try await harness.login(member, scopes: [.sync, .admin])
        let session = try await harness.session(login.token)
        _ = try? await harness.accounts.login(
            LoginRequest(userName: "alice", authKey: AccountsHarness.randomBytes(32), deviceName: "x", scopes: [.sync]), from: [10, 1, 2, 3])
        let admin = try await harness.accounts.createAdminToken(CreateAdminTokenRequest(name: "ops"), by: .user(session.userID))
        // Force an internal error, whose details are logged.
        harness.accounts.addErasureHook(FailingHookForLogs())
        _ = try? await harness.accounts.deleteAccount(AccountDeletionRequest(authKey: authKey), session: session, from: nil)
        let log = harness.log.text
        #expect(!log.isEmpty)
        for secret in [login.token, admin.token, invite.invite.code, Base64Bytes(authKey).base64, hex(authKey), "10.1.2.3"] {
            #expect(!log.contains(secret))
        }
    }

    private struct FailingHookForLogs: AccountErasureHook {
        struct Refused: Error {}
        func eraseRows(ofUser userID: Int64, in db: SQLiteStore.Connection) throws -> (@Sendable () async -> Void)? { throw Refused() }
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    @Test func theExampleConfigurationDocumentsTheQuotaKey() async throws {
        let unlimited = try await ServerConfiguration.load(
            configFile: nil, environment: ["COFFRE_ACCOUNTS_DEFAULT_QUOTA_BYTES": "unlimited"])
        #expect(unlimited.accounts.defaultQuotaBytes == nil)
        let limited = try await ServerConfiguration.load(configFile: nil, environment: [:], overrides: ["accounts.defaultQuotaBytes": "10GiB"])
        #expect(limited.accounts.defaultQuotaBytes == 10 << 30)
        await #expect(throws: ConfigurationError.self) {
            try await ServerConfiguration.load(configFile: nil, environment: [:], overrides: ["accounts.defaultQuotaBytes": "lots"])
        }
    }
}
