@testable import HTTPServer
import HTTPTypes
import Testing

@Suite("Router")
struct HTTPRouterTests {
    static func router() throws -> HTTPRouter {
        var router = HTTPRouter()
        try router.add(.get, "/v1/vaults/{vault}/blobs/{id}") { request in
            .text("blob \(request.pathParameters["vault"] ?? "-") \(request.pathParameters["id"] ?? "-")")
        }
        try router.add(.put, "/v1/vaults/{vault}/blobs/{id}", maxBodyBytes: 99) { _ in .text("stored") }
        try router.add(.init("PROPFIND")!, "/dav/{path...}") { request in .text("dav \(request.pathParameters["path"] ?? "-")") }
        try router.addInline(.get, "/healthz") { _ in .text("ok") }
        return router
    }

    func respond(_ method: HTTPRequest.Method, _ target: String) async throws -> HTTPServerResponse {
        try await Self.router().respond(to: HTTPServerRequest(method: method, target: target))
    }

    func text(_ response: HTTPServerResponse) -> String {
        guard case .bytes(let bytes) = response.body else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func matchesPatternsAndDecodesParameters() async throws {
        let response = try await respond(.get, "/v1/vaults/home%20vault/blobs/ab%2Fcd?x=1")
        #expect(text(response) == "blob home vault ab/cd")
        let dav = try await respond(.init("PROPFIND")!, "/dav/a/b%C3%A9/c")
        #expect(text(dav) == "dav a/bé/c")
        let davRoot = try await respond(.init("PROPFIND")!, "/dav/")
        #expect(text(davRoot) == "dav ")
    }

    @Test func recordsRouteOptionsAndPattern() throws {
        var request = try HTTPServerRequest(method: .put, target: "/v1/vaults/a/blobs/b")
        let handler = try Self.router().handler(for: &request)
        #expect(handler.maxBodyBytes == 99)
        #expect(request.routePattern == "/v1/vaults/{vault}/blobs/{id}")
        #expect(request.pathParameters.names == ["vault", "id"])
        var health = try HTTPServerRequest(method: .get, target: "/healthz")
        guard case .inline = try Self.router().handler(for: &health).execution else {
            Issue.record("expected an inline handler")
            return
        }
    }

    @Test func absoluteFormAuthorityReplacesHost() throws {
        var fields = HTTPFields()
        fields[HTTPField.Name("Host")!] = "spoofed.example"
        let request = try HTTPServerRequest(method: .get, target: "http://real.example:8080/a?b", headerFields: fields)
        #expect(request.headerFields[HTTPField.Name("Host")!] == "real.example:8080")
        #expect(request.path == "/a")
        #expect(request.query == "b")
    }

    @Test func distinguishes404From405() async throws {
        #expect(try await respond(.get, "/v1/vaults/a").status == .notFound)
        #expect(try await respond(.get, "/v1/vaults/a/blobs/b/c").status == .notFound)
        #expect(try await respond(.get, "/v1/vaults//blobs/b").status == .notFound)
        let refused = try await respond(.delete, "/v1/vaults/a/blobs/b")
        #expect(refused.status == .methodNotAllowed)
        #expect(refused.headerFields[.allow] == "GET, PUT, HEAD")
    }

    @Test func servesHeadWithTheGetRoute() async throws {
        let response = try await respond(.head, "/healthz")
        #expect(response.status == .ok)
    }

    @Test func refusesBadPercentEncoding() async throws {
        await #expect(throws: HTTPServerError.badRequest(reason: "invalid percent-encoding in path")) {
            try await respond(.get, "/v1/vaults/%zz/blobs/b")
        }
        await #expect(throws: HTTPServerError.badRequest(reason: "path parameter is not valid UTF-8")) {
            try await respond(.get, "/v1/vaults/%FF/blobs/b")
        }
        await #expect(throws: HTTPServerError.badRequest(reason: "path parameter is not valid UTF-8")) {
            try await respond(.get, "/v1/vaults/a%00b/blobs/b")
        }
    }

    @Test func badEscapesRefuseEvenWhenOnlyTheMethodDiffers() async throws {
        await #expect(throws: HTTPServerError.badRequest(reason: "invalid percent-encoding in path")) {
            try await respond(.delete, "/v1/vaults/%zz/blobs/b")
        }
    }

    @Test func firstMatchingRouteWinsAndOthersAreNotDecoded() async throws {
        var router = HTTPRouter()
        try router.add(.get, "/a/{x}/c") { request in .text("first \(request.pathParameters["x"] ?? "-")") }
        try router.add(.get, "/a/b/{y}") { request in .text("second \(request.pathParameters["y"] ?? "-")") }
        try router.add(.get, "/a/{rest...}") { request in .text("rest \(request.pathParameters["rest"] ?? "-")") }
        let first = try await router.respond(to: HTTPServerRequest(method: .get, target: "/a/b/c"))
        #expect(text(first) == "first b")
        let second = try await router.respond(to: HTTPServerRequest(method: .get, target: "/a/b/d%20e"))
        #expect(text(second) == "second d e")
        let rest = try await router.respond(to: HTTPServerRequest(method: .get, target: "/a/b/c/d"))
        #expect(text(rest) == "rest b/c/d")
        let bare = try await router.respond(to: HTTPServerRequest(method: .get, target: "/a"))
        #expect(text(bare) == "rest ")
        let parameters = try await router.respond(to: HTTPServerRequest(method: .get, target: "/a/b"))
        #expect(text(parameters) == "rest b")
    }

    /// Routes are tried by segment count (`RouteCandidates`); the order they were added in
    /// still decides, across fixed and `{name...}` patterns, for short and long paths.
    @Test func candidatesBySegmentCountKeepTheOrderRoutesWereAddedIn() async throws {
        var router = HTTPRouter()
        try router.add(.get, "/x/{rest...}") { request in .text("x-rest \(request.pathParameters["rest"] ?? "-")") }
        try router.add(.get, "/x/{a}/{b}") { _ in .text("x-fixed") }
        try router.add(.get, "/y/{a}/{b}") { _ in .text("y-fixed") }
        try router.add(.get, "/{rest...}") { request in .text("any \(request.pathParameters["rest"] ?? "-")") }
        try router.add(.put, "/y/{a}/{b}") { _ in .text("y-put") }
        let cases: [(String, String)] = [
            ("/x/1/2", "x-rest 1/2"), ("/y/1/2", "y-fixed"), ("/y/1", "any y/1"), ("/y/1/2/3/4/5/6/7", "any y/1/2/3/4/5/6/7"),
            ("/x/1/2/3/4/5/6/7/8/9", "x-rest 1/2/3/4/5/6/7/8/9"), ("/", "any "),
        ]
        for (target, expected) in cases {
            let response = try await router.respond(to: HTTPServerRequest(method: .get, target: target))
            #expect(text(response) == expected, "\(target)")
        }
        let put = try await router.respond(to: HTTPServerRequest(method: .put, target: "/y/1/2"))
        #expect(text(put) == "y-put")
        let delete = try await router.respond(to: HTTPServerRequest(method: .delete, target: "/y/1/2"))
        #expect(delete.status == .methodNotAllowed)
        #expect(delete.headerFields[.allow] == "GET, PUT, HEAD")
    }

    @Test func segmentsSplitOnSlashBytesOnly() {
        #expect(HTTPRouter.segments(of: "/") == [""])
        #expect(HTTPRouter.segments(of: "/a//b/") == ["a", "", "b", ""])
        #expect(HTTPRouter.segments(of: "/é/\u{301}x/日本") == ["é", "\u{301}x", "日本"])
        #expect(HTTPRouter.segments(of: "a/b").isEmpty)
        #expect(HTTPRouter.segments(of: "").isEmpty)
    }

    @Test(arguments: ["relative", "/a/{x", "/a/{x}/{x}", "/a/{rest...}/b", "/a/{}", "/a/b}"])
    func refusesInvalidPatterns(_ pattern: String) {
        var router = HTTPRouter()
        #expect(throws: HTTPServerError.self) { try router.add(.get, pattern) { _ in .text("") } }
    }
}
