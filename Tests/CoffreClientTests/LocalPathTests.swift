import Testing
@testable import CoffreClient

@Suite struct LocalPathTests {
    @Test(arguments: ["", "/abs", "a//b", "a/", "./a", "a/./b", "a/..", "..", "a\u{0}b",
                      String(repeating: "x", count: 256), String(repeating: "a/", count: 2048) + "a"])
    func refusesPathsThatCouldEscapeOrCannotExist(path: String) {
        #expect(throws: LocalFSError.self) { try LocalPath(path) }
    }

    @Test func acceptsOrdinaryPathsAndGivesTheirParts() throws {
        let path = try LocalPath("Photos/2024/...hidden/Cafe\u{301}.jpg")
        #expect(path.components == ["Photos", "2024", "...hidden", "Cafe\u{301}.jpg"])
        #expect(path.name == "Cafe\u{301}.jpg")
        #expect(path.parent?.onDisk == "Photos/2024/...hidden")
        #expect(try LocalPath("top").parent == nil)
        #expect(Array(path.normalized.utf8) == Array("Photos/2024/...hidden/Caf\u{E9}.jpg".utf8))
        #expect(try path.parent?.appending("x").onDisk == "Photos/2024/...hidden/x")
        #expect(throws: LocalFSError.self) { try path.appending("..") }
        #expect(try LocalPath(String(repeating: "n", count: 255)).bytes.count == 255)
    }

    @Test func comparesOnDiskBytesNotCanonicalEquivalence() throws {
        let decomposed = try LocalPath("Cafe\u{301}")
        let composed = try LocalPath("Caf\u{E9}")
        #expect(decomposed != composed)  // two different entries on Linux
        #expect(Set([decomposed, composed]).count == 2)
        #expect(decomposed.normalized == composed.normalized)
    }
}
