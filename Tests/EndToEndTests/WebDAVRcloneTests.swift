import CoffreClient
import Foundation
import Testing

/// rclone (webdav remote, vendor other) as a real client: copy a tree in, `rclone check` it,
/// copy it out again and compare byte for byte, over both storages.
@Suite("WebDAV gateway with rclone", .serialized)
struct WebDAVRcloneTests {
    static let rclone = "/usr/bin/rclone"

    /// A small tree with nested folders, an empty file, a non-ASCII name, a name with spaces
    /// and reserved URI characters, and a 3 MiB file of random bytes.
    static func makeTree(at root: String) throws -> [String: Data] {
        var files: [String: Data] = [
            "readme.txt": Data("hello\n".utf8),
            "empty": Data(),
            "docs/Café & co #1.md": Data("# é\n".utf8),
            "docs/deep/er/leaf.json": Data("{\"a\":1}".utf8),
            "100% sure?.txt": Data("q".utf8),
        ]
        var random = [UInt8](repeating: 0, count: 3 << 20)
        for index in random.indices { random[index] = UInt8.random(in: 0...255) }
        files["media/big.bin"] = Data(random)
        for (path, data) in files {
            let url = URL(fileURLWithPath: root).appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        return files
    }

    @Test(arguments: WebDAVGatewayFixture.StorageKind.allCases)
    func copyCheckAndCopyOut(storage: WebDAVGatewayFixture.StorageKind) async throws {
        let gateway = try WebDAVGatewayFixture(storage)
        let work = gateway.folder
        let source = work + "/source"
        let out = work + "/out"
        let files = try Self.makeTree(at: source)
        try Data().write(to: URL(fileURLWithPath: work + "/rclone.conf"))
        let obscured = try await WebDAVGatewayFixture.run(Self.rclone, ["obscure", gateway.credentials.password], in: work)
        #expect(obscured.status == 0, "\(obscured.output)")
        let environment = [
            "RCLONE_CONFIG": work + "/rclone.conf", "RCLONE_CONFIG_DAV_TYPE": "webdav", "RCLONE_CONFIG_DAV_URL": gateway.url,
            "RCLONE_CONFIG_DAV_VENDOR": "other", "RCLONE_CONFIG_DAV_USER": gateway.credentials.user,
            "RCLONE_CONFIG_DAV_PASS": obscured.output.trimmingCharacters(in: .whitespacesAndNewlines),
        ]
        func rclone(_ arguments: [String]) async throws -> WebDAVGatewayFixture.Run {
            try await WebDAVGatewayFixture.run(Self.rclone, arguments + ["--retries", "1", "--low-level-retries", "1"], in: work, environment: environment)
        }
        let copyIn = try await rclone(["copy", source, "dav:tree"])
        #expect(copyIn.status == 0, "rclone copy in:\n\(copyIn.output)")
        let check = try await rclone(["check", source, "dav:tree"])
        #expect(check.status == 0, "rclone check:\n\(check.output)")
        let copyOut = try await rclone(["copy", "dav:tree", out])
        #expect(copyOut.status == 0, "rclone copy out:\n\(copyOut.output)")
        for (path, data) in files {
            let copied = FileManager.default.contents(atPath: out + "/" + path)
            #expect(copied == data, "\(path) differs after the round trip")
        }
        let listing = try await rclone(["lsf", "-R", "dav:tree"])
        #expect(listing.output.split(separator: "\n").filter { !$0.hasSuffix("/") }.count == files.count, "\(listing.output)")
        await gateway.stop()
    }
}
