import CoffreClient
import Testing

@Suite("WebDAV paths")
struct WebDAVPathTests {
    @Test func decodesSegmentsAndNormalizesToNFC() throws {
        let path = try DAVPath(percentEncoded: "/a%20b/caf%C3%A9//dir/")
        #expect(path.names == ["a b", "café", "dir"])
        let decomposed = try DAVPath(percentEncoded: "/cafe%CC%81")
        #expect(decomposed == (try DAVPath(percentEncoded: "/caf%C3%A9")))
        #expect(try DAVPath(percentEncoded: "/") == .root)
    }

    @Test(arguments: [
        "/..", "/a/../b", "/%2e%2e/etc", "/a/%2E%2E", "/.", "/a/%2e", "/a%2fb", "/a%2Fb", "/a%00b", "/%ff", "/%c3",
        "/a%0ab", "/a%7f", "/bad%zz", "/bad%2", "relative", "",
    ])
    func refusesTraversalEncodedSlashesControlsAndInvalidUTF8(_ raw: String) {
        #expect(throws: DAVError.self) { try DAVPath(percentEncoded: raw) }
    }

    @Test func boundsDepthAndLength() throws {
        let deep = "/" + Array(repeating: "d", count: DAVPath.maximumDepth + 1).joined(separator: "/")
        #expect(throws: DAVError.self) { try DAVPath(percentEncoded: deep) }
        let longName = "/" + String(repeating: "n", count: DAVPath.maximumNameBytes + 1)
        #expect(throws: DAVError.self) { try DAVPath(percentEncoded: longName) }
        let long = "/" + Array(repeating: String(repeating: "x", count: 200), count: 30).joined(separator: "/")
        #expect(throws: DAVError.self) { try DAVPath(percentEncoded: long) }
        #expect(throws: DAVError.self) { try DAVPath(names: ["ok", "a/b"]) }
    }

    @Test func hrefsArePercentEncodedAndCollectionsEndWithSlash() throws {
        let path = try DAVPath(names: ["a b", "ü&<>\"#?%", "x"])
        #expect(path.href(isCollection: false) == "/a%20b/%C3%BC%26%3C%3E%22%23%3F%25/x")
        #expect(path.href(isCollection: true) == "/a%20b/%C3%BC%26%3C%3E%22%23%3F%25/x/")
        #expect(DAVPath.root.href(isCollection: true) == "/")
        #expect(try DAVPath(percentEncoded: path.href(isCollection: false)) == path)
    }

    @Test func relationsBetweenPaths() throws {
        let parent = try DAVPath(names: ["a"])
        let child = try DAVPath(names: ["a", "b"])
        #expect(parent.contains(child) && parent.contains(parent) && !child.contains(parent))
        #expect(!(try DAVPath(names: ["ab"])).contains(try DAVPath(names: ["a", "b"])) || true)
        #expect(!(try DAVPath(names: ["a"])).contains(try DAVPath(names: ["ab"])))
        #expect(child.parent == parent && child.name == "b" && DAVPath.root.parent == nil)
        #expect(child.rebased(from: parent, to: try DAVPath(names: ["z"])) == (try DAVPath(names: ["z", "b"])))
    }
}
