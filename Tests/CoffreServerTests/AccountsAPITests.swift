@testable import CoffreServer
import CoffreProtocol
import Foundation
import HTTPServer
import Testing

/// The account routes over a real `HTTPServer` on 127.0.0.1, port 0.
@Suite struct AccountsAPITests {
    /// A server with the account routes, an admin token, and two users with devices:
    /// alice (sync and read tokens) and bob (sync).
    struct Fixture {
        let harness: AccountsHarness
        let client: APITestClient
        let adminToken: String
        let alice: AccountsHarness.Member
        let aliceSync: LoginResponse
        let aliceRead: LoginResponse
        let bobSync: LoginResponse
    }

    private func withServer(_ body: (Fixture) async throws -> Void) async throws {
        let harness = try await AccountsHarness()
        var router = HTTPRouter()
        try AccountsAPI(accounts: harness.accounts, logger: harness.log.logger).register(on: &router)
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoopCount = 1
        configuration.accessLogLevel = .info
        PatientTimeouts.apply(to: &configuration.limits)
        let server = HTTPServer(configuration: configuration, responder: router, logger: harness.log.logger)
        try server.start()
        do {
            let admin = try await harness.accounts.createAdminToken(CreateAdminTokenRequest(name: "tests"), by: .token(0))
            let alice = try await harness.member("alice")
            let bob = try await harness.member("bob")
            let fixture = Fixture(
                harness: harness, client: APITestClient(port: server.localPort), adminToken: admin.token, alice: alice,
                aliceSync: try await harness.login(alice, device: "sync"), aliceRead: try await harness.login(alice, device: "read", scopes: [.read]),
                bobSync: try await harness.login(bob))
            try await body(fixture)
        } catch {
            await server.shutdown(gracePeriod: .milliseconds(100))
            throw error
        }
        await server.shutdown(gracePeriod: .milliseconds(500))
    }

    /// Who a route is for.
    enum Access { case anyDevice, syncDevice, admin }

    /// Every protected route, with a body that would be valid.
    private func protectedRoutes(_ fixture: Fixture) -> [(String, String, [UInt8]?, Access)] {
        let key = Base64Bytes(fixture.alice.authKey).base64
        let device = fixture.aliceSync.device.id
        return [
            ("POST", "/v1/auth/logout", nil, .anyDevice),
            ("GET", "/v1/account", nil, .anyDevice),
            ("GET", "/v1/account/devices", nil, .anyDevice),
            ("DELETE", "/v1/account/devices/\(device)", nil, .syncDevice),
            ("POST", "/v1/account/password", Array(#"{"currentAuthKey":"\#(key)"}"#.utf8), .syncDevice),
            ("GET", "/v1/account/audit", nil, .anyDevice),
            ("GET", "/v1/account/export", nil, .anyDevice),
            ("POST", "/v1/account/delete", Array(#"{"authKey":"\#(key)"}"#.utf8), .syncDevice),
            ("POST", "/v1/admin/users", Array(#"{"userName":"carol"}"#.utf8), .admin),
            ("GET", "/v1/admin/users", nil, .admin),
            ("GET", "/v1/admin/users/alice", nil, .admin),
            ("DELETE", "/v1/admin/users/alice", nil, .admin),
            ("POST", "/v1/admin/users/alice/disable", nil, .admin),
            ("POST", "/v1/admin/users/alice/enable", nil, .admin),
            ("PUT", "/v1/admin/users/alice/quota", Array(#"{"quotaBytes":1}"#.utf8), .admin),
            ("POST", "/v1/admin/users/alice/invite", nil, .admin),
            ("GET", "/v1/admin/devices", nil, .admin),
            ("DELETE", "/v1/admin/devices/\(device)", nil, .admin),
            ("GET", "/v1/admin/audit", nil, .admin),
            ("GET", "/v1/admin/throttle", nil, .admin),
            ("DELETE", "/v1/admin/throttle", nil, .admin),
            ("DELETE", "/v1/admin/throttle/accounts/alice", nil, .admin),
            ("POST", "/v1/admin/tokens", Array(#"{"name":"x"}"#.utf8), .admin),
            ("GET", "/v1/admin/tokens", nil, .admin),
            ("DELETE", "/v1/admin/tokens/1", nil, .admin),
            ("GET", "/v1/admin/stats", nil, .admin),
        ]
    }

    @Test func everyProtectedRouteRefusesTheWrongCaller() async throws {
        try await withServer { fixture in
            let revoked = try await fixture.harness.login(fixture.alice, device: "gone")
            try await fixture.harness.accounts.logout(try await fixture.harness.session(revoked.token))
            for (method, path, body, access) in protectedRoutes(fixture) {
                for token in [nil, revoked.token, "cft_" + String(repeating: "A", count: 43), "garbage"] {
                    let answer = try await fixture.client.send(method, path, token: token, body: body)
                    #expect(answer.status == 401, "\(method) \(path)")
                    #expect(answer.errorCode == "unauthenticated")
                    #expect(answer.header("WWW-Authenticate") == #"Bearer realm="coffre""#)
                }
                switch access {
                case .anyDevice:
                    let answer = try await fixture.client.send(method, path, token: fixture.adminToken, body: body)
                    #expect(answer.status == 403 && answer.errorCode == "forbidden", "\(method) \(path) admin token")
                case .syncDevice:
                    for token in [fixture.aliceRead.token, fixture.adminToken] {
                        let answer = try await fixture.client.send(method, path, token: token, body: body)
                        #expect(answer.status == 403 && answer.errorCode == "forbidden", "\(method) \(path)")
                    }
                case .admin:
                    for token in [fixture.aliceSync.token, fixture.aliceRead.token, fixture.bobSync.token] {
                        let answer = try await fixture.client.send(method, path, token: token, body: body)
                        #expect(answer.status == 403 && answer.errorCode == "forbidden", "\(method) \(path)")
                    }
                }
            }
            // Nothing above changed anything.
            #expect(try await fixture.harness.accounts.listUsers().users.map(\.name) == ["alice", "bob"])
            #expect(try await fixture.harness.accounts.listDevices(ofUser: "alice").devices.count == 2)
        }
    }

    @Test func anotherUsersThingsAreNotFound() async throws {
        try await withServer { fixture in
            let path = "/v1/account/devices/\(fixture.aliceSync.device.id)"
            let answer = try await fixture.client.send("DELETE", path, token: fixture.bobSync.token)
            #expect(answer.status == 404 && answer.errorCode == "not_found")
            _ = try await fixture.harness.session(fixture.aliceSync.token)
            let whoami = try await fixture.client.send("GET", "/v1/account", token: fixture.bobSync.token).decode(AccountResponse.self)
            #expect(whoami.user.name == "bob")
            let devices = try await fixture.client.send("GET", "/v1/account/devices", token: fixture.bobSync.token).decode(DeviceList.self)
            #expect(devices.devices.map(\.userName) == ["bob"])
            let audit = try await fixture.client.send("GET", "/v1/account/audit", token: fixture.bobSync.token).decode(AuditPage.self)
            #expect(audit.entries.allSatisfy { $0.userName == "bob" })
            for id in ["0", "-1", "abc", "99999999999999999999", "1.5"] {
                let answer = try await fixture.client.send("DELETE", "/v1/account/devices/\(id)", token: fixture.bobSync.token)
                #expect(answer.status == 404)
            }
        }
    }

    @Test func malformedAndOversizeBodiesAreClearErrors() async throws {
        try await withServer { fixture in
            let client = fixture.client
            let cases: [(String, Int, String)] = [
                ("{", 400, "malformed_json"),
                ("", 400, "malformed_json"),
                ("[]", 400, "malformed_json"),
                ("\"alice\"", 400, "malformed_json"),
                (#"{"userName": 42}"#, 400, "invalid_field"),
                (#"{}"#, 400, "invalid_field"),
                (#"{"userName": null}"#, 400, "invalid_field"),
                (#"{"userName": "Alice"}"#, 400, "invalid_user_name"),
                (#"{"userName": "a/b"}"#, 400, "invalid_user_name"),
                (#"{"userName": "\u00e9"}"#, 400, "invalid_user_name"),
            ]
            for (body, status, code) in cases {
                let answer = try await client.send("POST", "/v1/auth/prelogin", body: Array(body.utf8))
                #expect(answer.status == status, "\(body)")
                #expect(answer.errorCode == code, "\(body)")
                #expect(answer.header("Content-Type") == "application/json")
            }
            let badKey = #"{"userName":"alice","authKey":"%%%","deviceName":"d","scopes":["sync"]}"#
            let answer = try await client.send("POST", "/v1/auth/login", body: Array(badKey.utf8))
            #expect(answer.errorCode == "invalid_field")
            #expect(try answer.decode(ErrorBody.self).message.hasPrefix("authKey"))
            #expect(!answer.text.contains("%%%"))
            let badScope = #"{"userName":"alice","authKey":"AA==","deviceName":"d","scopes":["sync","root"]}"#
            let scoped = try await client.send("POST", "/v1/auth/login", body: Array(badScope.utf8))
            #expect(scoped.errorCode == "invalid_field")
            #expect(try scoped.decode(ErrorBody.self).message.hasPrefix("scopes[1]"))
            let huge = Array(#"{"userName":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 70_000) + Array(#""}"#.utf8)
            let tooLarge = try await client.send("POST", "/v1/auth/prelogin", body: huge)
            #expect(tooLarge.status == 413)
            #expect(tooLarge.errorCode == "body_too_large")
            let longName = try await client.send("POST", "/v1/auth/prelogin", json: PreloginRequest(userName: String(repeating: "a", count: 65)))
            #expect(longName.errorCode == "invalid_user_name")
            let longDevice = try await client.send(
                "POST", "/v1/auth/login",
                json: LoginRequest(userName: "alice", authKey: fixture.alice.authKey, deviceName: String(repeating: "x", count: 129), scopes: [.sync]))
            #expect(longDevice.errorCode == "invalid_field")
        }
    }

    @Test func queryParametersAreChecked() async throws {
        try await withServer { fixture in
            for query in ["limit=abc", "limit=0", "limit=1001", "since=-5", "nope=1", "limit=1&limit=2", "before=%zz", "user=Alice"] {
                let answer = try await fixture.client.send("GET", "/v1/admin/audit?\(query)", token: fixture.adminToken)
                #expect(answer.status == 400, "\(query)")
                #expect(answer.errorCode == "invalid_query" || answer.errorCode == "invalid_user_name", "\(query)")
            }
            let page = try await fixture.client.send("GET", "/v1/admin/audit?user=alice&limit=2", token: fixture.adminToken).decode(AuditPage.self)
            #expect(page.entries.count == 2)
            let next = try #require(page.nextBefore)
            let older = try await fixture.client.send("GET", "/v1/admin/audit?user=alice&before=\(next)", token: fixture.adminToken)
                .decode(AuditPage.self)
            #expect(older.entries.allSatisfy { $0.id < next })
        }
    }

    @Test func theWholeLifeOfAnAccountOverHTTP() async throws {
        try await withServer { fixture in
            let client = fixture.client
            let admin = fixture.adminToken
            let created = try await client.send("POST", "/v1/admin/users", token: admin, json: CreateUserRequest(userName: "carol", quotaBytes: 1_000_000))
            #expect(created.status == 201)
            let invite = try created.decode(CreateUserResponse.self).invite
            let unknown = try await client.send("POST", "/v1/auth/prelogin", json: PreloginRequest(userName: "carol")).decode(PreloginResponse.self)
            let authKey = AccountsHarness.randomBytes(32)
            let register = fixture.harness.registerRequest("carol", code: invite.code, authKey: authKey)
            let registered = try await client.send("POST", "/v1/auth/register", json: register)
            #expect(registered.status == 201)
            #expect(try registered.decode(UserInfo.self).isRegistered)
            let reused = try await client.send("POST", "/v1/auth/register", json: register)
            #expect(reused.status == 403 && reused.errorCode == "invalid_invite")
            let prelogin = try await client.send("POST", "/v1/auth/prelogin", json: PreloginRequest(userName: "carol")).decode(PreloginResponse.self)
            #expect(prelogin.kdf == register.kdf && prelogin.kdf != unknown.kdf)

            let loginAnswer = try await client.send(
                "POST", "/v1/auth/login", json: LoginRequest(userName: "carol", authKey: authKey, deviceName: "tablet", scopes: [.sync]))
            #expect(loginAnswer.status == 201)
            #expect(loginAnswer.header("Cache-Control") == "no-store")
            let login = try loginAnswer.decode(LoginResponse.self)
            let whoami = try await client.send("GET", "/v1/account", token: login.token).decode(AccountResponse.self)
            #expect(whoami.user.name == "carol" && whoami.device.name == "tablet" && whoami.scopes == [.sync])
            #expect(whoami.user.quota == QuotaInfo(limitBytes: 1_000_000, usedBytes: 0))

            let export = try await client.send("GET", "/v1/account/export", token: login.token)
            #expect(export.status == 200)
            #expect(export.header("Content-Type") == "application/x-tar")
            let files = try TarReader.files(in: export.body)
            #expect(files.map(\.path) == ["coffre-export/account.json", "coffre-export/devices.json", "coffre-export/audit.json"])
            #expect(!export.text.contains(login.token))

            let change = PasswordChangeRequest(
                currentAuthKey: authKey, kdf: AccountsHarness.kdf(), authKey: AccountsHarness.randomBytes(32),
                wrappedPrivateKeys: WrappedPrivateKeys(x25519: AccountsHarness.randomBytes(61), ed25519: AccountsHarness.randomBytes(61)),
                revokeOtherDevices: true)
            let changed = try await client.send("POST", "/v1/account/password", token: login.token, json: change)
            #expect(try changed.decode(PasswordChangeResponse.self).revokedDevices == 0)

            let quota = try await client.send("PUT", "/v1/admin/users/carol/quota", token: admin, json: SetQuotaRequest(quotaBytes: nil))
            #expect(try quota.decode(UserInfo.self).quota.limitBytes == nil)
            let disabled = try await client.send("POST", "/v1/admin/users/carol/disable", token: admin)
            #expect(try disabled.decode(UserInfo.self).isDisabled)
            #expect(try await client.send("GET", "/v1/account", token: login.token).status == 401)
            _ = try await client.send("POST", "/v1/admin/users/carol/enable", token: admin)
            #expect(try await client.send("GET", "/v1/account", token: login.token).status == 200)

            let logout = try await client.send("POST", "/v1/auth/logout", token: login.token)
            #expect(logout.status == 204)
            #expect(try await client.send("GET", "/v1/account", token: login.token).status == 401)

            let again = try await client.send(
                "POST", "/v1/auth/login",
                json: LoginRequest(userName: "carol", authKey: change.authKey.bytes, deviceName: "tablet", scopes: [.sync]))
            let token = try again.decode(LoginResponse.self).token
            let wrongDelete = try await client.send("POST", "/v1/account/delete", token: token, json: AccountDeletionRequest(authKey: authKey))
            #expect(wrongDelete.status == 401 && wrongDelete.errorCode == "invalid_credentials")
            let deleted = try await client.send("POST", "/v1/account/delete", token: token, json: AccountDeletionRequest(authKey: change.authKey.bytes))
            #expect(deleted.status == 204)
            #expect(try await client.send("GET", "/v1/admin/users/carol", token: admin).status == 404)
        }
    }

    @Test func adminRoutesWork() async throws {
        try await withServer { fixture in
            let client = fixture.client
            let admin = fixture.adminToken
            #expect(try await client.send("GET", "/v1/admin/users", token: admin).decode(UserList.self).users.map(\.name) == ["alice", "bob"])
            let detail = try await client.send("GET", "/v1/admin/users/alice", token: admin).decode(UserDetail.self)
            #expect(detail.devices.count == 2)
            #expect(try await client.send("GET", "/v1/admin/users/zed", token: admin).status == 404)
            for name in ["Zed", "a%2Fb", "%C3%A9", "e%CC%81", "..", "a%00b"] {
                let answer = try await client.send("GET", "/v1/admin/users/\(name)", token: admin)
                #expect(answer.status == 400, "\(name)")
            }
            let invite = try await client.send("POST", "/v1/admin/users/alice/invite", token: admin)
            #expect(invite.status == 409 && invite.errorCode == "already_registered")
            let devices = try await client.send("GET", "/v1/admin/devices?user=bob", token: admin).decode(DeviceList.self)
            #expect(devices.devices.map(\.id) == [fixture.bobSync.device.id])
            #expect(try await client.send("DELETE", "/v1/admin/devices/\(fixture.bobSync.device.id)", token: admin).status == 204)
            #expect(try await client.send("GET", "/v1/account", token: fixture.bobSync.token).status == 401)

            let stats = try await client.send("GET", "/v1/admin/stats", token: admin).decode(ServerStats.self)
            #expect(stats.accounts.users == 2 && stats.accounts.devices == 2 && stats.accounts.adminTokens == 1)

            let token = try await client.send("POST", "/v1/admin/tokens", token: admin, json: CreateAdminTokenRequest(name: "cron"))
            #expect(token.status == 201)
            let created = try token.decode(CreateAdminTokenResponse.self)
            #expect(try await client.send("GET", "/v1/admin/tokens", token: created.token).decode(AdminTokenList.self).tokens.count == 2)
            #expect(try await client.send("DELETE", "/v1/admin/tokens/\(created.info.id)", token: created.token).status == 204)
            #expect(try await client.send("GET", "/v1/admin/tokens", token: created.token).status == 401)

            // An administrator's own device with the admin scope is an admin principal too.
            let root = try await fixture.harness.member("root", isAdmin: true)
            let rootLogin = try await fixture.harness.login(root, scopes: [.admin])
            let added = try await client.send("POST", "/v1/admin/users", token: rootLogin.token, json: CreateUserRequest(userName: "dora"))
            #expect(added.status == 201)
            let audit = try await client.send("GET", "/v1/admin/audit?user=dora", token: admin).decode(AuditPage.self)
            #expect(audit.entries.first?.actor == .adminUser && audit.entries.first?.actorID == root.user.id)
            #expect(try await client.send("DELETE", "/v1/admin/users/dora", token: admin).status == 204)
        }
    }

    @Test func throttlingAnswers429WithRetryAfter() async throws {
        try await withServer { fixture in
            let client = fixture.client
            let wrong = LoginRequest(userName: "alice", authKey: AccountsHarness.randomBytes(32), deviceName: "d", scopes: [.sync])
            for _ in 0..<6 {
                let answer = try await client.send("POST", "/v1/auth/login", json: wrong)
                #expect(answer.status == 401 && answer.errorCode == "invalid_credentials")
            }
            let blocked = try await client.send("POST", "/v1/auth/login", json: wrong)
            #expect(blocked.status == 429)
            #expect(blocked.header("Retry-After") == "1")
            #expect(try blocked.decode(ErrorBody.self).retryAfterSeconds == 1)
            let status = try await client.send("GET", "/v1/admin/throttle", token: fixture.adminToken).decode(ThrottleStatus.self)
            #expect(status.accounts.map(\.userName) == ["alice"])
            #expect(status.addressCount == 1)
            #expect(!String(decoding: try JSONEncoder().encode(status), as: UTF8.self).contains("127.0.0.1"))
            #expect(try await client.send("DELETE", "/v1/admin/throttle/accounts/alice", token: fixture.adminToken).status == 204)
            #expect(try await client.send("DELETE", "/v1/admin/throttle/accounts/alice", token: fixture.adminToken).status == 404)
            let right = LoginRequest(userName: "alice", authKey: fixture.alice.authKey, deviceName: "d", scopes: [.sync])
            #expect(try await client.send("POST", "/v1/auth/login", json: right).status == 201)
            #expect(try await client.send("DELETE", "/v1/admin/throttle", token: fixture.adminToken).status == 204)
        }
    }

    @Test func tokensAndKeysNeverReachTheLogs() async throws {
        try await withServer { fixture in
            let client = fixture.client
            _ = try await client.send("GET", "/v1/account", token: fixture.aliceSync.token)
            _ = try await client.send("GET", "/v1/account/devices/\(fixture.aliceSync.device.id)?secret=query", token: fixture.aliceSync.token)
            _ = try await client.send(
                "POST", "/v1/auth/login", json: LoginRequest(userName: "alice", authKey: fixture.alice.authKey, deviceName: "d", scopes: [.sync]))
            _ = try await client.send("GET", "/v1/admin/stats", token: fixture.adminToken)
            let log = fixture.harness.log.text
            #expect(log.contains("/v1/account"))
            for secret in [
                fixture.aliceSync.token, fixture.aliceRead.token, fixture.bobSync.token, fixture.adminToken,
                Base64Bytes(fixture.alice.authKey).base64, "secret=query", "127.0.0.1",
            ] {
                #expect(!log.contains(secret))
            }
        }
    }

    @Test func unknownRoutesAndMethods() async throws {
        try await withServer { fixture in
            #expect(try await fixture.client.send("GET", "/v1/nothing").status == 404)
            let wrongMethod = try await fixture.client.send("PUT", "/v1/auth/login", body: Array("{}".utf8))
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("Allow")?.contains("POST") == true)
        }
    }
}
