import CoffreClient
import Testing

/// PROPFIND, PROPPATCH, LOCK/UNLOCK and the multistatus bodies, in-process.
@Suite("WebDAV server properties and locks")
struct WebDAVServerPropertyTests {
    let client = WebDAVTestClient()

    @Test func propfindDepthRules() async throws {
        let infinite = try await client.send("PROPFIND", "/")
        #expect(infinite.status == 403 && infinite.text.contains("<D:propfind-finite-depth/>"))
        #expect(try await client.send("PROPFIND", "/", ["Depth": "2"]).status == 400)
        #expect(try await client.send("PROPFIND", "/", ["Depth": "99999999999999999999"]).status == 400)
        #expect(try await client.send("PROPFIND", "/absent", ["Depth": "0"]).status == 404)
        #expect(try await client.send("PROPFIND", "/", ["Depth": "0"], body: "<not-xml").status == 400)
        #expect(try await client.send("PROPFIND", "/", ["Depth": "0"], body: "<D:other xmlns:D='DAV:'/>").status == 400)
    }

    @Test func multistatusListsMembersWithEncodedHrefsAndLiveProperties() async throws {
        try await client.send("MKCOL", "/dir")
        try await client.send("PUT", "/dir/a b&c.txt", body: "hello")
        let reply = try await client.send("PROPFIND", "/dir/", ["Depth": "1"])
        #expect(reply.status == 207)
        #expect(reply.header("Content-Type") == "application/xml; charset=utf-8")
        let root = try DAVXMLParser.parse(reply.body)
        #expect(root.name == .dav("multistatus"))
        let responses = root.elements.filter { $0.isDAV("response") }
        #expect(responses.map { $0.davChild("href")?.text } == ["/dir/", "/dir/a%20b%26c.txt"])
        let fileProps = try #require(responses[1].davChild("propstat")?.davChild("prop"))
        #expect(fileProps.davChild("getcontentlength")?.text == "5")
        #expect(fileProps.davChild("displayname")?.text == "a b&c.txt")
        #expect(fileProps.davChild("getetag")?.text.hasPrefix("\"") == true)
        #expect(fileProps.davChild("resourcetype")?.elements.isEmpty == true)
        #expect(fileProps.davChild("supportedlock")?.elements.count == 2)
        let dirProps = try #require(responses[0].davChild("propstat")?.davChild("prop"))
        #expect(dirProps.davChild("resourcetype")?.davChild("collection") != nil)
        #expect(dirProps.davChild("getcontentlength") == nil)
    }

    @Test func propfindPropSplitsFoundAndMissing() async throws {
        try await client.send("PUT", "/f", body: "x")
        let reply = try await client.send(
            "PROPFIND", "/f", ["Depth": "0"], body: WebDAVTestClient.propfind("<D:getetag/><x:nothing xmlns:x='urn:x'/><D:getcontentlength/>"))
        let propstats = try DAVXMLParser.parse(reply.body).davChild("response")!.elements.filter { $0.isDAV("propstat") }
        #expect(propstats.map { $0.davChild("status")?.text } == ["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found"])
        #expect(propstats[1].davChild("prop")?.elements.map(\.name) == [DAVXMLName(namespace: "urn:x", name: "nothing")])
        let names = try await client.send("PROPFIND", "/f", ["Depth": "0"], body: "<propfind xmlns='DAV:'><propname/></propfind>")
        #expect(names.text.contains("<D:getetag/>") && !names.text.contains("\"m"))
    }

    @Test func proppatchIsAtomicAndProtectsLiveProperties() async throws {
        try await client.send("PUT", "/f", body: "x")
        let set = """
            <D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:color>blue <Z:b a="1">bold</Z:b></Z:color>\
            <nons xmlns="">v</nons></D:prop></D:set></D:propertyupdate>
            """
        let ok = try await client.send("PROPPATCH", "/f", body: set)
        #expect(ok.status == 207 && ok.text.contains("HTTP/1.1 200 OK"))
        let refused = try await client.send("PROPPATCH", "/f", body: """
            <D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:getetag>x</D:getetag><Q:q xmlns:Q="urn:q">1</Q:q></D:prop></D:set>\
            <D:remove><D:prop><Z:color xmlns:Z="urn:z"/></D:prop></D:remove></D:propertyupdate>
            """)
        #expect(refused.text.contains("HTTP/1.1 403 Forbidden") && refused.text.contains("cannot-modify-protected-property"))
        #expect(refused.text.contains("HTTP/1.1 424 Failed Dependency"))
        let all = try await client.send("PROPFIND", "/f", ["Depth": "0"], body: "<D:propfind xmlns:D='DAV:'><D:allprop/></D:propfind>")
        let prop = try #require(try DAVXMLParser.parse(all.body).davChild("response")?.davChild("propstat")?.davChild("prop"))
        let color = try #require(prop.elements.first { $0.name == DAVXMLName(namespace: "urn:z", name: "color") })
        #expect(color.text == "blue bold")
        #expect(color.elements.first?.attributes.first?.value == "1")
        #expect(prop.elements.contains { $0.name == DAVXMLName(namespace: "", name: "nons") })
        #expect(!prop.elements.contains { $0.name.name == "q" })
        let removed = try await client.send("PROPPATCH", "/f", body: """
            <D:propertyupdate xmlns:D="DAV:"><D:remove><D:prop><Z:color xmlns:Z="urn:z"/></D:prop></D:remove></D:propertyupdate>
            """)
        #expect(removed.status == 207)
        #expect(!(try await client.send("PROPFIND", "/f", ["Depth": "0"])).text.contains("urn:z"))
        #expect(try await client.send("PROPPATCH", "/f", body: "<D:propertyupdate xmlns:D='DAV:'/>").status == 400)
        #expect(try await client.send("PROPPATCH", "/absent", body: set).status == 404)
    }

    @Test func tooManyPropertiesAreRefused() async throws {
        try await client.send("PUT", "/f", body: "x")
        let props = (0...DAVPropertyLimits.maximumCount).map { "<Z:p\($0)/>" }.joined()
        let reply = try await client.send(
            "PROPPATCH", "/f", body: "<D:propertyupdate xmlns:D='DAV:' xmlns:Z='urn:z'><D:set><D:prop>\(props)</D:prop></D:set></D:propertyupdate>")
        #expect(reply.status == 507)
        let big = String(repeating: "v", count: 600_000)
        let first = try await client.send(
            "PROPPATCH", "/f", body: "<D:propertyupdate xmlns:D='DAV:' xmlns:Z='urn:z'><D:set><D:prop><Z:a>\(big)</Z:a></D:prop></D:set></D:propertyupdate>")
        #expect(first.text.contains("200 OK"))
        let second = try await client.send(
            "PROPPATCH", "/f", body: "<D:propertyupdate xmlns:D='DAV:' xmlns:Z='urn:z'><D:set><D:prop><Z:b>\(big)</Z:b></D:prop></D:set></D:propertyupdate>")
        #expect(second.text.contains("507 Insufficient Storage"))
    }

    @Test func locksBlockOtherWritersUntilTheTokenIsSubmitted() async throws {
        try await client.send("PUT", "/f", body: "x")
        let token = try await client.lock("/f")
        let blocked = try await client.send("PUT", "/f", body: "y")
        #expect(blocked.status == 423 && blocked.text.contains("<D:lock-token-submitted><D:href>/f</D:href>"))
        #expect(try await client.send("PUT", "/f", ["If": "(<\(token)>)"], body: "y").status == 204)
        #expect(try await client.send("PUT", "/f", ["If": "(<urn:uuid:wrong>)"], body: "z").status == 412)
        #expect(try await client.send("PUT", "/f", ["If": "(<urn:uuid:wrong>) (Not <DAV:no-lock>)"], body: "z").status == 423)
        #expect(try await client.send("LOCK", "/f", body: WebDAVTestClient.exclusiveLock).status == 423)
        let discovery = try await client.send("PROPFIND", "/f", ["Depth": "0"], body: WebDAVTestClient.propfind("<D:lockdiscovery/>"))
        #expect(discovery.text.contains(token) && discovery.text.contains("<owner xmlns=\"DAV:\">tester</owner>"))
        let refreshed = try await client.send("LOCK", "/f", ["If": "(<\(token)>)", "Timeout": "Second-100"])
        #expect(refreshed.status == 200 && refreshed.text.contains("Second-100"))
        #expect(try await client.send("LOCK", "/f", ["If": "(<urn:uuid:wrong>)"]).status == 412)
        let wrongUnlock = try await client.send("UNLOCK", "/f", ["Lock-Token": "<urn:uuid:wrong>"])
        #expect(wrongUnlock.status == 409 && wrongUnlock.text.contains("lock-token-matches-request-uri"))
        #expect(try await client.send("UNLOCK", "/f").status == 400)
        #expect(try await client.send("UNLOCK", "/f", ["Lock-Token": "<\(token)>"]).status == 204)
        #expect(try await client.send("PUT", "/f", body: "free").status == 204)
    }

    @Test func lockingAnUnmappedURLCreatesAnEmptyResource() async throws {
        let reply = try await client.send("LOCK", "/new.txt", body: WebDAVTestClient.exclusiveLock)
        #expect(reply.status == 201 && reply.header("Lock-Token")?.hasPrefix("<urn:uuid:") == true)
        let get = try await client.send("GET", "/new.txt")
        #expect(get.status == 200 && get.body.isEmpty)
        #expect(try await client.send("LOCK", "/no/parent", body: WebDAVTestClient.exclusiveLock).status == 409)
        #expect(client.server.locks.count == 1)
    }

    @Test func depthInfinityLocksCoverMembersAndSharedLocksStack() async throws {
        try await client.send("MKCOL", "/d")
        let first = try await client.lock("/d", shared: true)
        let second = try await client.lock("/d", shared: true, depth: "0")
        #expect(first != second)
        #expect(try await client.send("PUT", "/d/new", body: "x").status == 423)
        #expect(try await client.send("PUT", "/d/new", ["If": "(<\(first)>)"], body: "x").status == 423)
        #expect(try await client.send("PUT", "/d/new", ["If": "(<\(first)>) (<\(second)>)"], body: "x").status == 201)
        #expect(try await client.send("LOCK", "/d/new", body: WebDAVTestClient.exclusiveLock).status == 423)
        #expect(try await client.send("LOCK", "/d", ["Depth": "1"], body: WebDAVTestClient.sharedLock).status == 400)
        #expect(try await client.send("LOCK", "/d", body: "<D:lockinfo xmlns:D='DAV:'><D:lockscope/></D:lockinfo>").status == 400)
    }
}
