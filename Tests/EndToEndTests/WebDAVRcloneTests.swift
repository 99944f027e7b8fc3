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

    /// The environment that defines the `dav:` remote for `gateway`.
    static func remote(_ gateway: WebDAVGatewayFixture) async throws -> [String: String] {
        let obscured = try await WebDAVGatewayFixture.run(rclone, ["obscure", gateway.credentials.password], in: gateway.folder)
        try Data().write(to: URL(fileURLWithPath: gateway.folder + "/rclone.conf"))
        return [
            "RCLONE_CONFIG": gateway.folder + "/rclone.conf", "RCLONE_CONFIG_DAV_TYPE": "webdav", "RCLONE_CONFIG_DAV_URL": gateway.url,
            "RCLONE_CONFIG_DAV_VENDOR": "other", "RCLONE_CONFIG_DAV_USER": gateway.credentials.user,
            "RCLONE_CONFIG_DAV_PASS": obscured.output.trimmingCharacters(in: .whitespacesAndNewlines),
        ]
    }

    /// A folder of 600 members: its PROPFIND answer is streamed in pieces (chunked), and rclone
    /// must see every member with its size.
    @Test func listsAndChecksALargeFolder() async throws {
        let gateway = try WebDAVGatewayFixture(.directory)
        let local = gateway.folder + "/large"
        for directory in [local, gateway.servedFolder + "/large"] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for index in 0..<600 { try Data("member \(index)\n".utf8).write(to: URL(fileURLWithPath: "\(directory)/m\(index).txt")) }
        }
        let environment = try await Self.remote(gateway)
        let listing = try await WebDAVGatewayFixture.run(Self.rclone, ["lsf", "dav:large"], in: gateway.folder, environment: environment)
        #expect(listing.status == 0, "\(listing.output)")
        #expect(Set(listing.output.split(separator: "\n").map(String.init)) == Set((0..<600).map { "m\($0).txt" }))
        let check = try await WebDAVGatewayFixture.run(Self.rclone, ["check", "--size-only", local, "dav:large"], in: gateway.folder, environment: environment)
        #expect(check.status == 0, "\(check.output)")
        await gateway.stop()
    }

    @Test(arguments: WebDAVGatewayFixture.StorageKind.allCases)
    func copyCheckAndCopyOut(storage: WebDAVGatewayFixture.StorageKind) async throws {
        let gateway = try WebDAVGatewayFixture(storage)
        let work = gateway.folder
        let source = work + "/source"
        let out = work + "/out"
        let files = try Self.makeTree(at: source)
        let environment = try await Self.remote(gateway)
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
