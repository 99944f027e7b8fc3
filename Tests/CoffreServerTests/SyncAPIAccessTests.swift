@testable import CoffreServer
import CoffreClient
import CoffreProtocol
import Foundation
import Testing

/// Every sync route against every kind of caller: no token 401, a read token on a write route
/// 403, an admin token 403, a user who is not a member 404 (the same as a vault that does not
/// exist), a malformed vault id 400 — each with its JSON code.
@Suite struct SyncAPIAccessTests {
    struct Route {
        let method: String
        let path: String
        let body: [UInt8]?
        let writes: Bool
        /// False for routes that name no vault (listing, creating, public keys by name).
        let namesVault: Bool
    }

    static func routes(vault: String, user: Int64, entry: String, blob: String) -> [Route] {
        let json = { (text: String) in Array(text.utf8) }
        let v = "/v1/vaults/\(vault)"
        return [
            Route(method: "GET", path: "/v1/vaults", body: nil, writes: false, namesVault: false),
            Route(method: "POST", path: "/v1/vaults", body: json(#"{"vaultId":"\#(String(repeating: "1", count: 32))","name":"AQID","wrappedKey":"AQID"}"#), writes: true, namesVault: false),
            Route(method: "GET", path: "/v1/users/alice/keys", body: nil, writes: false, namesVault: false),
            Route(method: "DELETE", path: v, body: nil, writes: true, namesVault: true),
            Route(method: "PUT", path: v + "/name", body: json(#"{"name":"AQID"}"#), writes: true, namesVault: true),
            Route(method: "GET", path: v + "/members", body: nil, writes: false, namesVault: true),
            Route(method: "POST", path: v + "/members", body: json(#"{"userId":\#(user),"role":"read","keys":[{"generation":1,"wrappedKey":"AQID"}]}"#), writes: true, namesVault: true),
            Route(method: "DELETE", path: v + "/members/\(user)", body: nil, writes: true, namesVault: true),
            Route(method: "PUT", path: v + "/members/\(user)/role", body: json(#"{"role":"write"}"#), writes: true, namesVault: true),
            Route(method: "GET", path: v + "/members/\(user)/keys", body: nil, writes: false, namesVault: true),
            Route(method: "GET", path: v + "/keys", body: nil, writes: false, namesVault: true),
            Route(method: "POST", path: v + "/keys", body: json(#"{"generation":2,"grants":[]}"#), writes: true, namesVault: true),
            Route(method: "PUT", path: v + "/blobs/\(blob)", body: [1, 2, 3], writes: true, namesVault: true),
            Route(method: "GET", path: v + "/blobs/\(blob)", body: nil, writes: false, namesVault: true),
            Route(method: "HEAD", path: v + "/blobs/\(blob)", body: nil, writes: false, namesVault: true),
            Route(method: "POST", path: v + "/missing-blobs", body: json(#"{"ids":["\#(blob)"]}"#), writes: false, namesVault: true),
            Route(method: "POST", path: v + "/blob-batch", body: [], writes: true, namesVault: true),
            Route(
                method: "POST", path: v + "/commits",
                body: json(
                    #"{"changes":[{"entryId":"\#(entry)","baseRev":0,"parentId":"\#(String(repeating: "0", count: 32))","kind":"file","#
                        + #""nameTag":"\#(String(repeating: "A", count: 43))=","deleted":false,"record":"AQID","blobs":[]}]}"#),
                writes: true, namesVault: true),
            Route(method: "GET", path: v + "/changes?since=0", body: nil, writes: false, namesVault: true),
            Route(method: "GET", path: v + "/entries/\(entry)/revisions", body: nil, writes: false, namesVault: true),
            Route(method: "GET", path: v + "/trash", body: nil, writes: false, namesVault: true),
        ]
    }

    @Test func everyRouteRefusesTheWrongCallers() async throws {
        let harness = try await SyncServerHarness()
        defer { harness.removeData() }
        do {
            let alice = try await harness.user("alice")
            let aliceRead = try await harness.login("alice", authKey: alice.authKey, scopes: [.read])
            let bob = try await harness.user("bob")
            let vault = SyncSamples.vaultID()
            _ = try await alice.client.createVault(SyncSamples.createRequest(vault))
            let blob = SyncSamples.blob(3)
            let raw = APITestClient(port: harness.app.localPort)
            let routes = Self.routes(vault: vault.hex, user: bob.id, entry: SyncSamples.entryID().hex, blob: blob.id.hex)

            for route in routes {
                let label = "\(route.method) \(route.path)"
                let anonymous = try await raw.send(route.method, route.path, body: route.body)
                #expect(anonymous.status == 401, "\(label)")
                #expect(anonymous.header("WWW-Authenticate") == #"Bearer realm="coffre""#, "\(label)")
                if route.method != "HEAD" { #expect(anonymous.errorCode == "unauthenticated", "\(label)") }

                let admin = try await raw.send(route.method, route.path, token: harness.adminToken, body: route.body)
                #expect(admin.status == 403, "\(label): an admin token belongs to no user")

                let reader = try await raw.send(route.method, route.path, token: aliceRead, body: route.body)
                if route.writes {
                    #expect(reader.status == 403 && reader.errorCode == "forbidden", "\(label)")
                } else {
                    #expect(reader.status != 403 && reader.status != 401, "\(label): \(reader.status)")
                }

                guard route.namesVault else { continue }
                let stranger = try await raw.send(route.method, route.path, token: bob.token, body: route.body)
                #expect(stranger.status == 404, "\(label): \(stranger.status) \(stranger.text)")
                if route.method != "HEAD" { #expect(stranger.errorCode == "not_found", "\(label)") }

                let malformed = route.path.replacingOccurrences(of: vault.hex, with: vault.hex.uppercased())
                let bad = try await raw.send(route.method, malformed, token: alice.token, body: route.body)
                #expect(bad.status == 400, "\(label): \(bad.status)")
                if route.method != "HEAD" { #expect(bad.errorCode == "invalid_request", "\(label)") }
            }
            // Nothing the refused calls sent reached the disk.
            #expect(harness.blobFiles().isEmpty)
            #expect(try await alice.client.vaults().vaults.count == 1)
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }
}
