import CoffreClient
import Testing

/// Edge cases of each method, in-process over `MemoryDAVStorage`.
@Suite("WebDAV server methods")
struct WebDAVServerMethodTests {
    let client = WebDAVTestClient()

    @Test func optionsAnnouncesClassOneAndTwo() async throws {
        let reply = try await client.send("OPTIONS", "/")
        #expect(reply.status == 200)
        #expect(reply.header("DAV") == "1, 2")
        #expect(reply.header("Allow")?.contains("PROPFIND") == true && reply.header("Allow")?.contains("LOCK") == true)
    }

    @Test func putCreatesReplacesAndNeedsAParent() async throws {
        let created = try await client.send("PUT", "/f.txt", body: "one")
        #expect(created.status == 201)
        let etag = try #require(created.header("ETag"))
        let replaced = try await client.send("PUT", "/f.txt", body: "two")
        #expect(replaced.status == 204)
        #expect(replaced.header("ETag") != etag)
        #expect(try await client.send("PUT", "/missing/f.txt", body: "x").status == 409)
        #expect(try await client.send("MKCOL", "/c").status == 201)
        #expect(try await client.send("PUT", "/c", body: "x").status == 405)
        #expect(try await client.send("PUT", "/", body: "x").status == 405)
        let get = try await client.send("GET", "/f.txt")
        #expect(get.text == "two" && get.header("Content-Type") == "text/plain; charset=utf-8")
    }

    @Test func putHonoursIfMatchAndIfNoneMatch() async throws {
        let etag = try #require(try await client.send("PUT", "/f", body: "v1").header("ETag"))
        #expect(try await client.send("PUT", "/f", ["If-None-Match": "*"], body: "x").status == 412)
        #expect(try await client.send("PUT", "/g", ["If-None-Match": "*"], body: "x").status == 201)
        #expect(try await client.send("PUT", "/f", ["If-Match": "\"nope\""], body: "x").status == 412)
        #expect(try await client.send("PUT", "/new", ["If-Match": "*"], body: "x").status == 412)
        #expect(try await client.send("PUT", "/f", ["If-Match": "W/\(etag)"], body: "x").status == 412)
        #expect(try await client.send("PUT", "/f", ["If-Match": etag], body: "v2").status == 204)
        // The old tag no longer matches: a second writer holding it loses (412), nothing is overwritten.
        #expect(try await client.send("PUT", "/f", ["If-Match": etag], body: "v3").status == 412)
        #expect(try await client.send("GET", "/f").text == "v2")
        // A malformed If-Match matches nothing (as in the HTTP layer's evaluation).
        #expect(try await client.send("PUT", "/f", ["If-Match": "not-a-tag"], body: "x").status == 412)
    }

    @Test func getServesRangesAndValidators() async throws {
        let etag = try #require(try await client.send("PUT", "/r.bin", body: "0123456789").header("ETag"))
        let partial = try await client.send("GET", "/r.bin", ["Range": "bytes=2-4"])
        #expect(partial.status == 206 && partial.text == "234" && partial.header("Content-Range") == "bytes 2-4/10")
        let suffix = try await client.send("GET", "/r.bin", ["Range": "bytes=-3"])
        #expect(suffix.text == "789")
        let unsatisfiable = try await client.send("GET", "/r.bin", ["Range": "bytes=20-"])
        #expect(unsatisfiable.status == 416 && unsatisfiable.header("Content-Range") == "bytes */10")
        #expect(try await client.send("GET", "/r.bin", ["If-None-Match": etag]).status == 304)
        #expect(try await client.send("GET", "/r.bin", ["If-Match": "\"other\""]).status == 412)
        let head = try await client.send("HEAD", "/r.bin")
        #expect(head.status == 200 && head.body.isEmpty && head.header("ETag") == etag)
        #expect(try await client.send("GET", "/absent").status == 404)
        let index = try await client.send("GET", "/")
        #expect(index.status == 200 && index.text.contains("href=\"/r.bin\""))
    }

    @Test func deleteRemovesTreesAndLocks() async throws {
        try await client.send("MKCOL", "/d")
        try await client.send("MKCOL", "/d/e")
        try await client.send("PUT", "/d/e/f", body: "x")
        _ = try await client.lock("/d/e/f")
        #expect(try await client.send("DELETE", "/d").status == 423)
        #expect(try await client.send("DELETE", "/d", ["Depth": "0"]).status == 400)
        let token = try #require(client.server.locks.locks(covering: try DAVPath(names: ["d", "e", "f"])).first?.token)
        // An untagged list is about the request URI, which the lock does not cover: 412.
        #expect(try await client.send("DELETE", "/d", ["If": "(<\(token)>)"]).status == 412)
        #expect(try await client.send("DELETE", "/d", ["If": "<http://dav.test/d/e/f> (<\(token)>)"]).status == 204)
        #expect(try await client.send("GET", "/d/e/f").status == 404)
        #expect(client.server.locks.count == 0)
        #expect(try await client.send("DELETE", "/d").status == 404)
        #expect(try await client.send("DELETE", "/").status == 403)
    }

    @Test func mkcolRefusesBodiesExistingTargetsAndMissingParents() async throws {
        #expect(try await client.send("MKCOL", "/c", body: "<x/>").status == 415)
        #expect(try await client.send("MKCOL", "/c").status == 201)
        let again = try await client.send("MKCOL", "/c")
        #expect(again.status == 405 && again.header("Allow") != nil)
        #expect(try await client.send("MKCOL", "/a/b").status == 409)
        #expect(try await client.send("MKCOL", "/").status == 405)
    }

    @Test func copyAndMoveFollowOverwriteDepthAndHost() async throws {
        try await client.send("MKCOL", "/src")
        try await client.send("PUT", "/src/a", body: "A")
        try await client.send("PUT", "/other", body: "O")
        #expect(try await client.send("COPY", "/src", ["Destination": "http://dav.test/dst"]).status == 201)
        #expect(try await client.send("GET", "/dst/a").text == "A")
        #expect(try await client.send("COPY", "/src", ["Destination": "/dst", "Overwrite": "F"]).status == 412)
        #expect(try await client.send("COPY", "/src", ["Destination": "/shallow", "Depth": "0"]).status == 201)
        #expect(try await client.send("GET", "/shallow/a").status == 404)
        #expect(try await client.send("COPY", "/src", ["Destination": "/x", "Depth": "1"]).status == 400)
        #expect(try await client.send("COPY", "/src", ["Destination": "http://evil.example/x"]).status == 502)
        #expect(try await client.send("COPY", "/src", ["Destination": "/src/inside"]).status == 403)
        #expect(try await client.send("COPY", "/src", ["Destination": "/nope/x"]).status == 409)
        #expect(try await client.send("COPY", "/src", ["Destination": "/a/%2e%2e/etc"]).status == 400)
        #expect(try await client.send("COPY", "/src", ["Overwrite": "X", "Destination": "/y"]).status == 400)
        #expect(try await client.send("COPY", "/src").status == 400)
        #expect(try await client.send("MOVE", "/other", ["Destination": "/dst"]).status == 204)
        #expect(try await client.send("GET", "/dst").text == "O")
        #expect(try await client.send("GET", "/other").status == 404)
        #expect(try await client.send("MOVE", "/src", ["Destination": "/moved", "Depth": "0"]).status == 400)
        #expect(try await client.send("MOVE", "/src", ["Destination": "http://dav.test:80/moved"]).status == 201)
        #expect(try await client.send("GET", "/moved/a").text == "A")
    }

    @Test func basicAuthenticationIsRequiredAndChecked() async throws {
        let credentials = try DAVCredentials(user: "u", password: "p4ss")
        let guarded = WebDAVTestClient(configuration: DAVServerConfiguration(credentials: credentials))
        let refused = try await guarded.send("PROPFIND", "/", ["Depth": "0"])
        #expect(refused.status == 401)
        #expect(refused.header("WWW-Authenticate") == "Basic realm=\"Coffre\", charset=\"UTF-8\"")
        #expect(try await guarded.send("OPTIONS", "/", ["Authorization": "Basic dTpwNHNz"]).status == 200)
        #expect(try await guarded.send("OPTIONS", "/", ["Authorization": "basic dTpwNHNz"]).status == 200)
        #expect(try await guarded.send("OPTIONS", "/", ["Authorization": "Basic dTpwNHNy"]).status == 401)
        #expect(try await guarded.send("OPTIONS", "/", ["Authorization": "Basic !!!"]).status == 401)
        #expect(try await guarded.send("OPTIONS", "/", ["Authorization": "Bearer dTpwNHNz"]).status == 401)
        // Optional whitespace around the token (RFC 9110 §5.6.3) and nothing else is forgiven.
        #expect(credentials.accepts(authorization: "Basic \tdTpwNHNz \t"))
        #expect(!credentials.accepts(authorization: "Basic  \t "))
        #expect(!credentials.accepts(authorization: "Basic dTpw NHNz"))
        #expect(!credentials.accepts(authorization: "Basic dTpwNHNzeA=="))
        #expect(!credentials.accepts(authorization: nil))
        #expect(throws: DAVError.self) { try DAVCredentials(user: "a:b", password: "x") }
        let generated = try DAVCredentials.generated()
        #expect(generated.password.count == 24 && generated.password.allSatisfy { $0.isLetter || $0.isNumber })
        #expect(try DAVCredentials.generated().password != generated.password)
    }

    @Test func unknownMethodsAnswer405AndHostilePaths400() async throws {
        #expect(try await client.send("POST", "/").status == 405)
        #expect(try await client.send("GET", "/a/%2e%2e/%2e%2e/etc/passwd").status == 400)
        #expect(try await client.send("PUT", "/a%2fb", body: "x").status == 400)
        #expect(try await client.send("PUT", "/nul%00", body: "x").status == 400)
        #expect(try await client.send("PUT", "/bad%C3%28", body: "x").status == 400)
    }
}
