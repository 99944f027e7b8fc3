@testable import CoffreClient
import CoffreProtocol
import Testing

/// The protocol layer over the vault storage: the status codes a WebDAV client sees for
/// conditional writes that lose, ranges, hostile requests and refused commits.
@Suite("Vault WebDAV over the protocol layer")
struct VaultDAVServerTests {
    typealias F = VaultDAVFixture

    @Test func conditionalRequestsAndRangesAnswerTheRightStatus() async throws {
        let fixture = try await F()
        let client = WebDAVTestClient(storage: try await fixture.gateway())
        #expect(try await client.send("MKCOL", "/docs").status == 201)
        let created = try await client.send("PUT", "/docs/a.txt", ["If-None-Match": "*"], body: "0123456789")
        #expect(created.status == 201)
        let etag = try #require(created.header("ETag"))
        #expect(try await client.send("PUT", "/docs/a.txt", ["If-None-Match": "*"], body: "x").status == 412)
        #expect(try await client.send("PUT", "/docs/a.txt", ["If-Match": etag], body: "abcdefghij").status == 204)
        // The tag the first PUT answered is gone: a writer holding it lost.
        #expect(try await client.send("PUT", "/docs/a.txt", ["If-Match": etag], body: "late").status == 412)
        let range = try await client.send("GET", "/docs/a.txt", ["Range": "bytes=2-4"])
        #expect(range.status == 206 && range.text == "cde")
        #expect(try await client.send("GET", "/docs/a.txt", ["Range": "bytes=20-30"]).status == 416)
        #expect(try await client.send("PUT", "/none/a.txt", body: "x").status == 409)
        #expect(try await client.send("PUT", "/docs", body: "x").status == 405)
        #expect(try await client.send("MKCOL", "/docs").status == 405)
        #expect(try await client.send("COPY", "/docs", ["Destination": "/copy"]).status == 201)
        #expect(try await client.send("GET", "/copy/a.txt").text == "abcdefghij")
        #expect(try await client.send("MOVE", "/copy/a.txt", ["Destination": "/docs/a.txt", "Overwrite": "F"]).status == 412)
        #expect(try await client.send("DELETE", "/docs").status == 204)
        #expect(try await client.send("GET", "/docs/a.txt").status == 404)
    }

    @Test func hostileRequestsAreRefusedAndChangeNothing() async throws {
        let fixture = try await F()
        let client = WebDAVTestClient(storage: try await fixture.gateway())
        #expect(try await client.send("PUT", "/keep", body: "k").status == 201)
        for target in ["/../etc/passwd", "/a/%2e%2e/keep", "/a%2Fb", "/%ff%fe", "/a%00b"] {
            #expect(try await client.send("PUT", target, body: "x").status == 400, "\(target)")
        }
        #expect(try await client.send("PUT", "/.coffre", body: "x").status == 403)
        #expect(try await client.send("PROPFIND", "/", ["Depth": "infinity"]).status == 403)
        #expect(try await client.send("PROPFIND", "/", ["Depth": "99999999999"]).status == 400)
        let laughs = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><D:propfind xmlns:D=\"DAV:\"><D:prop>&b;</D:prop></D:propfind>"
        #expect(try await client.send("PROPFIND", "/keep", ["Depth": "0"], body: laughs).status == 400)
        #expect(try await client.send("DELETE", "/").status == 403)
        #expect(try await fixture.world.liveEntries().count == 1)
        #expect(try await client.send("GET", "/keep").text == "k")
    }

    @Test func aFullQuotaIsInsufficientStorage() {
        let quota = APIClientError.server(status: 507, code: .quotaExceeded, message: "over", retryAfterSeconds: nil)
        #expect(VaultDAVStorage.remoteFailure(quota, "x") == .insufficientStorage("quota exceeded"))
        #expect(VaultDAVStorage.remoteFailure(APIClientError.unreachable(server: "s", reason: "down"), "x") == .storage("x"))
    }
}
