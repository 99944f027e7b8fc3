import Foundation
import Glibc
import Testing

/// The README's "sync two folders" and "browse over WebDAV" tours, command for command, with `HOME` in a temporary
/// folder, `--kdf-cost test`, and the password in `COFFRE_PASSWORD`.
@Suite("README tour: sync two folders (real binaries)")
struct ReadmeTourTests {
    @Test func syncTwoFolders() async throws {
        let setting = try AccountCommandsTests.Setting()
        let home = setting.home("user")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let laptop = ["HOME": home, "COFFRE_PASSWORD": AccountCommandsTests.password]
        let phone = laptop.merging(["COFFRE_HOME": home + "/.config/coffre-phone"]) { $1 }
        func coffre(_ environment: [String: String], _ line: String) async throws -> CommandLineTool.Run {
            let arguments = line.split(separator: " ").map { $0.replacingOccurrences(of: "~", with: home) }
            let run = try await CommandLineTool.run("coffre", arguments, environment: environment)
            #expect(run.status == 0, "coffre \(line): \(run)")
            return run
        }
        let added = try await setting.admin("user", "add", "alice")
        let code = try AccountCommandsTests.inviteCode(in: added.stdout)
        _ = try await coffre(laptop, "account setup --server \(setting.url) --user alice --invite \(code) --kdf-cost test")

        _ = try await coffre(laptop, "vault create Documents")
        try FileManager.default.createDirectory(atPath: home + "/Documents", withIntermediateDirectories: true)
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: home + "/Documents/hello.txt"))
        _ = try await coffre(laptop, "sync ~/Documents --vault Documents --once")
        _ = try await coffre(phone, "login --server \(setting.url) --user alice --device-name phone --kdf-cost test")
        _ = try await coffre(phone, "sync ~/phone-docs --vault Documents --once")
        #expect(try String(contentsOfFile: home + "/phone-docs/hello.txt", encoding: .utf8) == "hello\n")

        let daemon = try RunningTool("coffre", ["sync", home + "/phone-docs"], environment: phone)
        #expect(await daemon.waitForStandardError(containing: "syncing; stop with"))
        #expect(try await coffre(phone, "status").stdout.contains("coffre sync is running"))
        #expect(await daemon.stop(signal: SIGINT) == 0, "\(daemon.standardError())")

        // Browse over WebDAV (a free port instead of the README's 8088, which may be taken).
        let dav = try RunningTool.dav(arguments: ["dav", "--vault", "Documents"], environment: phone)
        let gateway = try await dav.waitUntilServing()
        let port = try #require(Int(gateway.url.split(separator: ":").last?.filter(\.isNumber) ?? ""))
        let basic = "Basic " + Data("\(gateway.user):\(gateway.password)".utf8).base64EncodedString()
        let file = try await RawHTTP.get(port: port, path: "/hello.txt", authorization: basic)
        #expect(file.status == 200 && file.body == "hello\n")
        #expect(try await RawHTTP.get(port: port, path: "/hello.txt").status == 401)
        #expect(await dav.stop() == 0)
    }
}
