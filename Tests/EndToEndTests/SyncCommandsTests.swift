import CoffreClient
import CoffreProtocol
import Foundation
import Glibc
import Testing

/// Issue 6 on the real binaries: one account, two devices (two `COFFRE_HOME`s, two folders),
/// `coffre vault create` and `coffre sync --once` carrying every kind of change both ways.
@Suite("coffre vault and sync between two devices (real binaries)")
struct SyncCommandsTests {
    /// A fixture with alice on `laptop` and `phone`, and the vault `Documents`.
    static func twoDevices() async throws -> SyncCommandFixture {
        let fixture = try SyncCommandFixture()
        try await fixture.account("alice", device: "laptop")
        try await fixture.login("alice", device: "phone")
        let created = try await fixture.coffre("laptop", ["vault", "create", "Documents"])
        try #require(created.status == 0, "\(created)")
        return fixture
    }

    @Test func changesReachTheOtherDeviceAndMovesAreNotUploads() async throws {
        let f = try await Self.twoDevices()
        let listed = try await f.coffre("phone", ["vault", "list", "--json"])
        #expect(listed.status == 0, "\(listed)")
        let vaults = try JSONDecoder().decode([[String: AnyCodableValue]].self, from: Data(listed.stdout.utf8))
        #expect(vaults.count == 1 && vaults[0]["name"] == .string("Documents") && vaults[0]["role"] == .string("owner"))

        try f.write("first notes", at: "notes.txt", in: "a")
        try f.write("plan 2027", at: "plans/2027.md", in: "a")
        try f.write("old plan", at: "plans/old/2020.md", in: "a")
        try FileManager.default.createDirectory(atPath: f.path("a") + "/empty", withIntermediateDirectories: true)
        let first = try await f.syncOnce("laptop", "a", vault: "Documents")
        #expect(first.status == 0, "\(first)")
        #expect(first.stdout.contains("identical"))
        let received = try await f.syncOnce("phone", "b", vault: "Documents")
        #expect(received.status == 0, "\(received)")
        #expect(try f.tree("b") == f.tree("a"))
        #expect(try f.tree("b")["empty"] == "/")
        let nested = try await f.syncOnce("laptop", "a/plans", vault: "Documents")
        #expect(nested.status == 6 && nested.stderr.contains("cannot nest"), "\(nested)")
        // The folder remembers its vault: in this home's registry, and in its own index for
        // another home (device) that tries to point it at another vault.
        #expect(try await f.coffre("laptop", ["vault", "create", "Other"]).status == 0)
        let other = try await f.syncOnce("laptop", "a", vault: "Other")
        #expect(other.status == 6 && other.stderr.contains("already syncs another vault"), "\(other)")
        let elsewhere = try await f.syncOnce("phone", "a", vault: "Other")
        #expect(elsewhere.status == 6 && elsewhere.stderr.contains("already syncs another vault"), "\(elsewhere)")
        #expect(!(try await f.coffre("phone", ["status"])).stdout.contains(f.path("a")), "a refused folder is not registered")

        // Edit and delete, then (in a pass of their own) a file rename and a folder move.
        try f.write("second notes", at: "notes.txt", in: "a")
        try FileManager.default.removeItem(atPath: f.path("a") + "/plans/old/2020.md")
        #expect(try await f.syncOnce("laptop", "a").status == 0)
        #expect(try await f.syncOnce("phone", "b").status == 0)
        #expect(try f.tree("b")["notes.txt"] == "second notes" && f.tree("b")["plans/old/2020.md"] == nil)
        try FileManager.default.moveItem(atPath: f.path("a") + "/plans", toPath: f.path("a") + "/projects")
        try FileManager.default.moveItem(atPath: f.path("a") + "/notes.txt", toPath: f.path("a") + "/projects/notes.txt")
        let moved = try await f.syncOnce("laptop", "a")
        #expect(moved.status == 0, "\(moved)")
        #expect(moved.stdout.hasPrefix("0 file(s) up (0 B sent), 0 down"), "a move is metadata only: \(moved.stdout)")
        let applied = try await f.syncOnce("phone", "b")
        #expect(applied.status == 0, "\(applied)")
        #expect(applied.stdout.hasPrefix("0 file(s) up (0 B sent), 0 down (0 B fetched)"), "moves fetch nothing: \(applied.stdout)")
        #expect(try f.tree("b") == f.tree("a"))
        #expect(try f.tree("b")["projects/notes.txt"] == "second notes")
        #expect(try f.tree("b")["projects/old"] == "/" && f.tree("b")["plans"] == nil)

        // coffre status knows both folders of this home (one each).
        let status = try await f.coffre("laptop", ["status", "--json"])
        #expect(status.status == 0, "\(status)")
        #expect(status.stdout.contains(f.path("a")) && status.stdout.contains("idle, in sync"), "\(status.stdout)")
    }

    @Test func editVersusEditMakesANamedConflictCopyAndOnceSaysSo() async throws {
        let f = try await Self.twoDevices()
        try f.write("base", at: "report.txt", in: "a")
        #expect(try await f.syncOnce("laptop", "a", vault: "Documents").status == 0)
        #expect(try await f.syncOnce("phone", "b", vault: "Documents").status == 0)
        try f.write("laptop's words", at: "report.txt", in: "a")
        try f.write("phone's words", at: "report.txt", in: "b")
        #expect(try await f.syncOnce("laptop", "a").status == 0)
        let second = try await f.syncOnce("phone", "b")
        #expect(second.status == 9, "\(second)")
        #expect(second.stderr.contains("not identical: 1 conflict(s)"), "\(second.stderr)")
        #expect(!second.stderr.contains("report"), "no file name in the error line: \(second.stderr)")
        let tree = try f.tree("b")
        #expect(tree["report.txt"] == "laptop's words")
        let copy = try #require(tree.keys.first { $0.hasPrefix("report (conflict phone ") && $0.hasSuffix(").txt") }, "\(tree)")
        #expect(tree[copy] == "phone's words")
        // The copy is an entry like any other: the laptop gets it, and both are identical.
        #expect(try await f.syncOnce("laptop", "a").status == 0)
        #expect(try await f.syncOnce("phone", "b").status == 0)
        #expect(try f.tree("a") == f.tree("b"))
    }

    @Test func historyRestoreAndTrash() async throws {
        let f = try await Self.twoDevices()
        for version in ["v1", "v2", "v3"] {
            try f.write("log \(version)", at: "log.txt", in: "a")
            let pass = try await f.syncOnce("laptop", "a", vault: "Documents")
            #expect(pass.status == 0, "\(pass)")
        }
        let history = try await f.coffre("laptop", ["history", f.path("a") + "/log.txt", "--json"])
        #expect(history.status == 0, "\(history)")
        let revisions = try JSONDecoder().decode([[String: AnyCodableValue]].self, from: Data(history.stdout.utf8))
        #expect(revisions.count == 3)
        let oldest = try #require(revisions.last?["rev"]?.integer)

        let restored = try await f.coffre("laptop", ["restore", f.path("a") + "/log.txt", "--rev", String(oldest)])
        #expect(restored.status == 0, "\(restored)")
        #expect(try f.tree("a")["log.txt"] == "log v1")
        // Without --rev: the revision before the current one (v3), as another file.
        let copy = try await f.coffre("laptop", ["restore", f.path("a") + "/log.txt", "--to", f.path("a") + "/log before.txt"])
        #expect(copy.status == 0, "\(copy)")
        #expect(try f.tree("a")["log before.txt"] == "log v3")
        #expect(try await f.syncOnce("phone", "b", vault: "Documents").status == 0)
        #expect(try f.tree("b")["log.txt"] == "log v1" && f.tree("b")["log before.txt"] == "log v3")

        // Deleted on the phone, restored from the trash on the laptop.
        try FileManager.default.removeItem(atPath: f.path("b") + "/log.txt")
        #expect(try await f.syncOnce("phone", "b").status == 0)
        #expect(try await f.syncOnce("laptop", "a").status == 0)
        #expect(try f.tree("a")["log.txt"] == nil)
        let trash = try await f.coffre("laptop", ["trash", f.path("a"), "--json"])
        #expect(trash.status == 0 && trash.stdout.contains("\"log.txt\""), "\(trash)")
        let back = try await f.coffre("laptop", ["trash", "restore", f.path("a") + "/log.txt"])
        #expect(back.status == 0, "\(back)")
        #expect(try f.tree("a")["log.txt"] == "log v1")
        #expect(try await f.syncOnce("phone", "b").status == 0)
        #expect(try f.tree("b")["log.txt"] == "log v1")

        // Hostile or mistaken paths: outside any synced folder, or not in the trash.
        let outside = try await f.coffre("laptop", ["history", "/etc/passwd"])
        #expect(outside.status == 6 && outside.stderr.contains("not inside a folder synced"), "\(outside)")
        let missing = try await f.coffre("laptop", ["trash", "restore", f.path("a") + "/never.txt"])
        #expect(missing.status == 2, "\(missing)")
    }

    @Test func onceFailsWithAReasonWhenFilesAreLeftOut() async throws {
        let f = try await Self.twoDevices()
        // Two names equal once normalized (NFC "é" and NFD "e" + U+0301) in one folder: only
        // one can be synced, and --once says the folder is not identical.
        try f.write("composed", at: "caf\u{E9}.txt", in: "a")
        try f.write("decomposed", at: "cafe\u{301}.txt", in: "a")
        let pass = try await f.syncOnce("laptop", "a", vault: "Documents")
        #expect(pass.status == 9, "\(pass)")
        #expect(pass.stderr.contains("1 item(s) left out: same name as another once normalized"), "\(pass.stderr)")
        try FileManager.default.removeItem(atPath: f.path("a") + "/cafe\u{301}.txt")
        #expect(try await f.syncOnce("laptop", "a").status == 0)
    }

    @Test(.enabled(if: geteuid() != 0, "root reads every file"))
    func onceFailsOnAnUnreadableFile() async throws {
        let f = try await Self.twoDevices()
        try f.write("secret", at: "locked.txt", in: "a")
        chmod(f.path("a") + "/locked.txt", 0)
        let pass = try await f.syncOnce("laptop", "a", vault: "Documents")
        #expect(pass.status == 9, "\(pass)")
        #expect(pass.stderr.contains("unreadable"), "\(pass.stderr)")
    }
}

/// A JSON value of the commands' `--json` output, for assertions.
enum AnyCodableValue: Decodable, Equatable {
    case string(String), number(Double), bool(Bool), null, other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else { self = .other }
    }

    var integer: Int64? {
        if case .number(let value) = self { return Int64(exactly: value) }
        return nil
    }
}
