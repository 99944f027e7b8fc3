import CoffreClient
import CoffreProtocol
import Testing

/// Tables, sizes, times and the sanitizing of text a server sent.
@Suite struct OutputFormattingTests {
    @Test func tablePadsColumnsAlignsNumbersAndTrimsLines() {
        var table = TextTable([.init("ID", .right), .init("NAME"), .init("NOTE")])
        table.append(["7", "laptop", ""])
        table.append(["1234", "a", "x"])
        table.append(["5"])
        #expect(
            table.render() == """
                  ID  NAME    NOTE
                   7  laptop
                1234  a       x
                   5

                """)
        #expect(table.rowCount == 3)
    }

    @Test func tableCellsCannotCarryEscapeSequencesOrOverflow() {
        var table = TextTable([.init("NAME")])
        table.append(["evil\u{1B}[2J\u{1B}]0;title\u{07}name"])
        table.append([String(repeating: "w", count: 100)])
        let text = table.render()
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(text.contains("evil?[2J?]0;title?name"))
        #expect(text.contains(String(repeating: "w", count: TextTable.maximumCellLength) + "…"))
    }

    @Test func sanitizingKeepsTextButNotControlsOrBidiOverrides() {
        #expect(TerminalText.sanitized("Zoë's 📱 phone") == "Zoë's 📱 phone")
        #expect(TerminalText.sanitized("👩\u{200D}💻") == "👩\u{200D}💻")
        #expect(TerminalText.sanitized("a\u{202E}gpj.exe") == "a?gpj.exe")
        #expect(TerminalText.sanitized("line\nbreak\r\u{85}\u{2028}") == "line?break???")
        #expect(TerminalText.sanitized("abcdef", limit: 3) == "abc…")
    }

    @Test func sizesTimesDurationsAndFingerprints() {
        #expect(DisplayFormat.bytes(0) == "0 B")
        #expect(DisplayFormat.bytes(1023) == "1023 B")
        #expect(DisplayFormat.bytes(1536) == "1.5 KiB")
        #expect(DisplayFormat.bytes(10 << 30) == "10 GiB")
        #expect(DisplayFormat.quota(nil) == "unlimited")
        #expect(DisplayFormat.time(0) == "-")
        #expect(DisplayFormat.time(1_767_225_600) == "2026-01-01 00:00 UTC")
        #expect(DisplayFormat.time(1_767_272_705) == "2026-01-01 13:05 UTC")
        #expect(DisplayFormat.duration(seconds: 0) == "0 s")
        #expect(DisplayFormat.duration(seconds: 75) == "1 min 15 s")
        #expect(DisplayFormat.duration(seconds: 3600) == "1 h")
        #expect(DisplayFormat.duration(seconds: 90_061) == "1 d 1 h")
        #expect(DisplayFormat.fingerprint([0x00, 0xAB, 0x0F]) == "00:AB:0F")
    }

    @Test func adminReportsShowStatesQuotasAndTheSetupCommand() throws {
        let quota = QuotaInfo(limitBytes: 1 << 30, usedBytes: 512 << 20)
        let users = UserList(users: [
            UserInfo(id: 2, name: "alice", isAdmin: true, isRegistered: true, isDisabled: false, createdAt: 1_767_225_600, quota: quota),
            UserInfo(id: 3, name: "bob", isAdmin: false, isRegistered: false, isDisabled: false, createdAt: 1_767_225_600,
                quota: QuotaInfo(limitBytes: nil, usedBytes: 0)),
        ])
        let text = AdminReport.users(users)
        #expect(
            text == """
                NAME   ID  STATE       ADMIN     USED      QUOTA  CREATED
                alice   2  registered  yes    512 MiB      1 GiB  2026-01-01 00:00 UTC
                bob     3  invited                0 B  unlimited  2026-01-01 00:00 UTC

                """)
        #expect(AdminReport.users(UserList(users: [])) == "no users\n")
        let invite = InviteInfo(code: "cfi_ABC", userName: "bob", expiresAt: 1_767_830_400)
        let server = try ServerURL(parsing: "http://127.0.0.1:8080")
        #expect(AdminReport.invite(invite, server: server).contains("coffre account setup --server http://127.0.0.1:8080 --user bob --invite cfi_ABC\n"))
        let throttle = ThrottleStatus(accounts: [ThrottledAccount(userName: "alice", failures: 6, retryAfterSeconds: 2)], addressCount: 1, blockedAddressCount: 0)
        #expect(AdminReport.throttle(throttle).contains("alice         6          2 s"))
    }

    @Test func jsonIsTheWireTypeWithSortedKeys() throws {
        let stats = ServerStats(accounts: AccountStats(users: 1, registeredUsers: 1, disabledUsers: 0, adminUsers: 0, pendingInvites: 0, devices: 2, adminTokens: 1, usedBytes: 0))
        let json = AccountReport.json(stats)
        #expect(json.hasSuffix("}\n"))
        let decoded = try JSONDecoder().decode(ServerStats.self, from: Data(json.utf8))
        #expect(decoded == stats)
        #expect(json.range(of: "\"adminTokens\"")!.lowerBound < json.range(of: "\"users\"")!.lowerBound)
    }
}

import Foundation
