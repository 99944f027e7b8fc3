import CoffreClient
import CoffreProtocol
import Foundation
import HTTPServer
import Testing

/// `coffre-admin`'s side: where the server and token come from, dates on the command line,
/// and every admin route through `CoffreAPI` against the real routes in-process.
@Suite struct AdminClientTests {
    static let token = "cfa_" + String(repeating: "B", count: 43)

    static func dataDirectory(url: String?, token: String?) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-admin-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if let url { try (url + "\n").write(toFile: path + "/coffred.url", atomically: true, encoding: .utf8) }
        if let token { try (token + "\n").write(toFile: path + "/admin.token", atomically: true, encoding: .utf8) }
        return path
    }

    @Test func credentialsComeFromTheDataDirectoryFlagsAndEnvironment() throws {
        let data = try Self.dataDirectory(url: "http://127.0.0.1:4321", token: Self.token)
        defer { try? FileManager.default.removeItem(atPath: data) }
        let local = try AdminCredentials.resolve(dataDirectory: data, server: nil, token: nil, caFile: nil, fingerprint: nil, environment: [:])
        #expect(local.server.description == "http://127.0.0.1:4321")
        #expect(local.token == Self.token)
        let other = "cfa_" + String(repeating: "C", count: 43)
        let environment = try AdminCredentials.resolve(
            dataDirectory: data, server: "https://coffre.example.org", token: nil, caFile: nil, fingerprint: String(repeating: "ab", count: 32),
            environment: ["COFFRE_ADMIN_TOKEN": other])
        #expect(environment.token == other)
        #expect(environment.server.description == "https://coffre.example.org:443")
        #expect(environment.trust == .pinnedCertificate(sha256: [UInt8](repeating: 0xAB, count: 32)))
        let flag = try AdminCredentials.resolve(
            dataDirectory: nil, server: "https://coffre.example.org", token: Self.token, caFile: "/ca.pem", fingerprint: nil,
            environment: ["COFFRE_ADMIN_TOKEN": other])
        #expect(flag.token == Self.token)
        #expect(flag.trust == .certificateAuthorities(file: "/ca.pem"))
    }

    @Test func missingOrBrokenCredentialsAreClearErrors() throws {
        let stopped = try Self.dataDirectory(url: nil, token: Self.token)
        defer { try? FileManager.default.removeItem(atPath: stopped) }
        #expect { try AdminCredentials.resolve(dataDirectory: stopped, server: nil, token: nil, caFile: nil, fingerprint: nil, environment: [:]) } throws: { error in
            (error as? AccountError)?.exitStatus == .unreachable && "\(error)".contains("coffred.url is missing")
        }
        let noToken = try Self.dataDirectory(url: "http://127.0.0.1:1", token: nil)
        defer { try? FileManager.default.removeItem(atPath: noToken) }
        #expect { try AdminCredentials.resolve(dataDirectory: noToken, server: nil, token: nil, caFile: nil, fingerprint: nil, environment: [:]) } throws: { error in
            "\(error)".contains("admin.token") && "\(error)".contains("is missing")
        }
        let badURL = try Self.dataDirectory(url: "http://example.org", token: Self.token)
        defer { try? FileManager.default.removeItem(atPath: badURL) }
        #expect(throws: AccountError.self) { try AdminCredentials.resolve(dataDirectory: badURL, server: nil, token: nil, caFile: nil, fingerprint: nil, environment: [:]) }
        #expect(throws: AccountError.self) { try AdminCredentials.resolve(dataDirectory: nil, server: nil, token: nil, caFile: nil, fingerprint: nil, environment: [:]) }
        #expect(throws: AccountError.self) {
            try AdminCredentials.resolve(dataDirectory: nil, server: "http://127.0.0.1:1", token: "cfa_x\r\nHost: evil", caFile: nil, fingerprint: nil, environment: [:])
        }
        #expect(throws: AccountError.self) {
            try AdminCredentials.resolve(dataDirectory: nil, server: "https://x", token: Self.token, caFile: nil, fingerprint: "abcd", environment: [:])
        }
        #expect(AdminCredentials.explain(.server(status: 401, code: .unauthenticated, message: "", retryAfterSeconds: nil)) == .adminTokenRefused)
    }

    @Test func datesOnTheCommandLine() throws {
        let now: Int64 = 1_767_225_600
        #expect(try DateArgument.parse("2026-01-01", option: "--since", now: now) == 1_767_225_600)
        #expect(try DateArgument.parse("2026-01-01T13:05Z", option: "--since", now: now) == 1_767_272_700)
        #expect(try DateArgument.parse("2026-01-01T13:05:09", option: "--since", now: now) == 1_767_272_709)
        #expect(try DateArgument.parse("7d", option: "--since", now: now) == now - 7 * 86_400)
        #expect(try DateArgument.parse("12h", option: "--since", now: now) == now - 12 * 3600)
        #expect(try DateArgument.parse("30m", option: "--since", now: now) == now - 1800)
        #expect(try DateArgument.parse("1700000000", option: "--since", now: now) == 1_700_000_000)
        for bad in ["2026-02-30", "2026-13-01", "2026-1-1", "yesterday", "7w", "-5", "2026-01-01T25:00", "", "d"] {
            #expect(throws: AccountError.self, "\(bad)") { try DateArgument.parse(bad, option: "--since", now: now) }
        }
    }

    @Test func everyAdminRouteWorksThroughTheTypedClient() async throws {
        let server = try await InProcessServer()
        let api = try await server.adminAPI()
        let alice = try #require(UserName(rawValue: "alice"))
        let created = try await api.createUser(CreateUserRequest(userName: "alice", quotaBytes: 1 << 30))
        #expect(created.invite.code.hasPrefix("cfi_"))
        await #expect { _ = try await api.createUser(CreateUserRequest(userName: "alice")) } throws: { error in
            (error as? APIClientError)?.code == .userExists
        }
        let reissued = try await api.reissueInvite(for: alice)
        #expect(reissued.code != created.invite.code)
        #expect(try await api.users().users.map(\.name) == ["alice"])
        #expect(try await api.user(alice).inviteExpiresAt == reissued.expiresAt)
        #expect(try await api.setQuota(of: alice, bytes: nil).quota.limitBytes == nil)
        #expect(try await api.setUser(alice, disabled: true).isDisabled)
        #expect(try await !api.setUser(alice, disabled: false).isDisabled)
        let token = try await api.createAdminToken(name: "backup")
        #expect(try await api.adminTokens().tokens.contains { $0.name == "backup" })
        try await api.revokeAdminToken(token.info.id)
        await #expect(throws: APIClientError.self) { try await CoffreAPI(transport: api.transport, token: token.token).stats() }
        #expect(try await api.stats().accounts.users == 1)
        #expect(try await api.throttleStatus().accounts.isEmpty)
        try await api.clearThrottle()
        await #expect(throws: APIClientError.self) { try await api.clearThrottle("alice") }
        let audit = try await api.auditLog(user: alice, limit: 2)
        #expect(audit.entries.count == 2)
        let next = try #require(audit.nextBefore)
        #expect(try await api.auditLog(user: alice, before: next).entries.allSatisfy { $0.id < next })
        #expect(try await api.allDevices().devices.isEmpty)
        await #expect { try await api.revokeAnyDevice(999) } throws: { error in
            (error as? APIClientError)?.code == .notFound && ExitStatus(forAny: error) == .refused
        }
        try await api.deleteUser(alice)
        #expect(try await api.users().users.isEmpty)
        await #expect(throws: APIClientError.self) { try await CoffreAPI(transport: api.transport, token: nil).stats() }
    }
}
