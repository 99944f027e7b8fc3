@testable import CoffreClient
import Foundation
import Testing

/// Password sources for scripts (files, environment) and the rules passwords meet.
@Suite struct PasswordInputTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-pw-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func file(_ bytes: [UInt8]) throws -> String {
        let path = directory + "/pw-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aFileWinsOverTheVariableWhichWinsOverTheTerminal() {
        let environment = ["COFFRE_PASSWORD": "from env"]
        #expect(PasswordInput.source(file: "/f", variable: "COFFRE_PASSWORD", environment: environment) == .file(path: "/f"))
        #expect(
            PasswordInput.source(file: nil, variable: "COFFRE_PASSWORD", environment: environment)
                == .environment(variable: "COFFRE_PASSWORD", value: "from env"))
        #expect(PasswordInput.source(file: nil, variable: "COFFRE_NEW_PASSWORD", environment: environment) == .terminal)
    }

    @Test func readsTheFirstLineOfAFile() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try PasswordInput.read(from: .file(path: try file(Array("s3cret pass\n".utf8))), prompt: "") == "s3cret pass")
        #expect(try PasswordInput.read(from: .file(path: try file(Array("crlf pass\r\nsecond line\n".utf8))), prompt: "") == "crlf pass")
        #expect(try PasswordInput.read(from: .file(path: try file(Array("no newline é".utf8))), prompt: "") == "no newline é")
        #expect(try PasswordInput.read(from: .environment(variable: "V", value: " spaces kept "), prompt: "") == " spaces kept ")
    }

    @Test(arguments: [
        ([UInt8](), "empty"), (Array("\n".utf8), "empty"), ([UInt8](repeating: 0x61, count: 1025), "longer than"),
        (Array("a\u{0}b".utf8), "NUL"), ([0xFF, 0xFE, 0x61], "UTF-8"),
    ])
    func refusesUnusableFiles(contents: [UInt8], reason: String) throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try file(contents)
        #expect { try PasswordInput.read(from: .file(path: path), prompt: "") } throws: { error in
            guard case AccountError.password(let text) = error else { return false }
            return text.contains(reason) && (error as? AccountError)?.exitStatus == .usage
        }
    }

    @Test func aMissingFileAndBadVariablesAreClearErrors() {
        #expect(throws: AccountError.password("cannot use the password file /nonexistent/pw: No such file or directory")) {
            try PasswordInput.read(from: .file(path: "/nonexistent/pw"), prompt: "")
        }
        #expect(throws: AccountError.password("the password from the variable COFFRE_PASSWORD is empty")) {
            try PasswordInput.read(from: .environment(variable: "COFFRE_PASSWORD", value: ""), prompt: "")
        }
        #expect(throws: AccountError.self) { try PasswordInput.read(from: .environment(variable: "V", value: "two\nlines"), prompt: "") }
    }

    @Test func newPasswordsNeedEightCharacters() throws {
        #expect(throws: AccountError.self) { try PasswordInput.checkNewPassword("seven77") }
        try PasswordInput.checkNewPassword("eight888")
        try PasswordInput.checkNewPassword("éééééééé")
    }
}
