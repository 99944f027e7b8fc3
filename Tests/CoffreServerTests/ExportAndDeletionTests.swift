@testable import CoffreServer
import CoffreProtocol
import Foundation
import SQLiteStore
import Testing

@Suite struct ExportAndDeletionTests {
    private struct VaultFiles: AccountExportContributor {
        func contribute(userID: Int64, to archive: AccountExportArchive) async throws {
            try await archive.addFile(path: "vaults/0123abcd/blob-1", contents: Array(repeating: 7, count: 1_000))
            try await archive.addFile(path: "vaults/0123abcd/blob-2", size: 1_030) { write in
                try await write(Array(repeating: 1, count: 1_000))
                try await write(Array(repeating: 2, count: 30))
            }
        }
    }

    @Test func theExportHoldsTheAccountAndNoSecrets() async throws {
        let harness = try await AccountsHarness()
        harness.accounts.addExportContributor(VaultFiles())
        let alice = try await harness.member("alice")
        let login = try await harness.login(alice, device: "laptop")
        let other = try await harness.login(alice, device: "phone")
        let session = try await harness.session(login.token)
        let collector = ByteCollector()
        try await harness.accounts.export(of: session) { collector.append($0) }
        let archive = collector.collected
        #expect(archive.count % 512 == 0)
        let files = try TarReader.files(in: archive)
        #expect(files.map(\.path) == [
            "coffre-export/account.json", "coffre-export/devices.json", "coffre-export/audit.json",
            "coffre-export/vaults/0123abcd/blob-1", "coffre-export/vaults/0123abcd/blob-2",
        ])
        #expect(files[4].contents == Array(repeating: 1, count: 1_000) + Array(repeating: 2, count: 30))
        let account = try JSONDecoder().decode(AccountExport.self, from: Data(files[0].contents))
        #expect(account.user.name == "alice")
        #expect(account.keys == alice.keys)
        #expect(account.formatVersion == 1)
        let devices = try JSONDecoder().decode(DeviceList.self, from: Data(files[1].contents))
        #expect(devices.devices.map(\.name) == ["laptop", "phone"])
        let audit = try JSONDecoder().decode(AuditPage.self, from: Data(files[2].contents))
        #expect(audit.entries.first?.event == .inviteCreated)
        #expect(audit.entries.count == 6)

        // No secret in any form: not the tokens, not the authKey, not the stored hashes and salts.
        let stored = try await harness.database.queue.read { db in
            try db.fetchAll("SELECT token_hash FROM devices", []) { try $0.blob(at: 0) }
                + (try db.fetchAll("SELECT auth_hash, auth_salt FROM user_credentials", []) { [try $0.blob(at: 0), try $0.blob(at: 1)] }.flatMap { $0 })
        }
        var needles: [[UInt8]] = [Array(login.token.utf8), Array(other.token.utf8), alice.authKey, Array(Base64Bytes(alice.authKey).base64.utf8)]
        for secret in stored { needles += [secret, Array(Base64Bytes(secret).base64.utf8)] }
        for needle in needles { #expect(!archive.contains(subsequence: needle)) }
        let text = String(decoding: files[0].contents, as: UTF8.self)
        #expect(!text.contains("hash") && !text.contains("token"))
    }

    @Test func tarHeadersFollowUstar() throws {
        let long = String(repeating: "d", count: 90) + "/" + String(repeating: "f", count: 99)
        let header = try TarHeader(path: long, size: 5, modificationTime: 1_700_000_000).encoded()
        #expect(header.count == 512)
        let files = try TarReader.files(in: header + Array("hello".utf8) + TarHeader.padding(after: 5) + TarHeader.endOfArchive)
        #expect(files == [TarReader.File(path: long, contents: Array("hello".utf8), mode: 0o644)])
        for bad in ["", "/abs", "a//b", "a/../b", ".", "a/./b", "sp ace", "é", String(repeating: "x", count: 101), "a\u{0}b"] {
            #expect(throws: APIError.self) { try TarHeader(path: bad, size: 0, modificationTime: 0) }
        }
        #expect(throws: APIError.self) { try TarHeader(path: "big", size: 1 << 33, modificationTime: 0) }
        #expect(TarHeader.padding(after: 512).isEmpty)
        #expect(TarHeader.padding(after: 513).count == 511)
    }

    @Test func archiveRefusesWrongSizesAndDuplicates() async throws {
        let collector = ByteCollector()
        let archive = AccountExportArchive(modificationTime: 0) { collector.append($0) }
        try await archive.addFile(path: "a", contents: [1])
        await #expect(throws: APIError.self) { try await archive.addFile(path: "a", contents: [1]) }
        await #expect(throws: APIError.self) { try await archive.addFile(path: "short", size: 3) { try await $0([1]) } }
        await #expect(throws: APIError.self) { try await archive.addFile(path: "long", size: 1) { try await $0([1, 2]) } }
    }

    private final class RecordingHook: AccountErasureHook, @unchecked Sendable {
        // @unchecked Sendable: the arrays are only touched under `lock`.
        private let lock = NSLock()
        private var rowsErased: [Int64] = []
        private var filesErased: [Int64] = []

        func eraseRows(ofUser userID: Int64, in db: Connection) throws -> (@Sendable () async -> Void)? {
            lock.withLock { rowsErased.append(userID) }
            return { self.lock.withLock { self.filesErased.append(userID) } }
        }

        var calls: ([Int64], [Int64]) { lock.withLock { (rowsErased, filesErased) } }
    }

    @Test func deletionErasesEveryRowAndRunsTheHooks() async throws {
        let harness = try await AccountsHarness()
        let hook = RecordingHook()
        harness.accounts.addErasureHook(hook)
        let alice = try await harness.member("alice")
        let bob = try await harness.member("bob")
        let login = try await harness.login(alice)
        _ = try await harness.login(bob)
        let session = try await harness.session(login.token)
        await #expect(throws: APIError.invalidCredentials) {
            try await harness.accounts.deleteAccount(AccountDeletionRequest(authKey: AccountsHarness.randomBytes(32)), session: session, from: nil)
        }
        #expect(try await harness.rowCounts(ofUser: alice.user.id)["users"] == 1)
        try await harness.accounts.deleteAccount(AccountDeletionRequest(authKey: alice.authKey), session: session, from: nil)
        #expect(try await harness.rowCounts(ofUser: alice.user.id) == [
            "users": 0, "user_credentials": 0, "invites": 0, "devices": 0, "audit": 1,
        ])
        #expect(hook.calls == ([alice.user.id], [alice.user.id]))
        await #expect(throws: APIError.unauthenticated) { try await harness.session(login.token) }
        await #expect(throws: APIError.invalidCredentials) { try await harness.login(alice) }
        let remaining = try await harness.accounts.audit(user: nil, since: nil, before: nil, limit: nil).entries
        let deletion = try #require(remaining.first)
        #expect(deletion.event == .userDeleted && deletion.userID == alice.user.id && deletion.userName == nil)
        #expect(remaining.dropFirst().allSatisfy { $0.userID == bob.user.id })
        // The name is free again and gets a new id.
        let again = try await harness.member("alice")
        #expect(again.user.id > bob.user.id)
        #expect(try await harness.rowCounts(ofUser: bob.user.id)["devices"] == 1)
    }

    @Test func adminDeletionNeedsNoKey() async throws {
        let harness = try await AccountsHarness()
        let alice = try await harness.member("alice")
        let login = try await harness.login(alice)
        _ = try await harness.session(login.token)
        try await harness.accounts.deleteUser(named: "alice", by: .token(3))
        await #expect(throws: APIError.unauthenticated) { try await harness.session(login.token) }
        await #expect(throws: APIError.notFound("user")) { try await harness.accounts.deleteUser(named: "alice", by: .token(3)) }
        let entry = try #require(try await harness.accounts.audit(user: nil, since: nil, before: nil, limit: 1).entries.first)
        #expect(entry.event == .userDeleted && entry.actor == .adminToken && entry.actorID == 3)
    }

    private struct FailingHook: AccountErasureHook {
        struct Refused: Error {}
        func eraseRows(ofUser userID: Int64, in db: Connection) throws -> (@Sendable () async -> Void)? { throw Refused() }
    }

    @Test func aFailingHookRollsTheDeletionBack() async throws {
        let harness = try await AccountsHarness()
        harness.accounts.addErasureHook(FailingHook())
        let alice = try await harness.member("alice")
        await #expect(throws: APIError.internalError) { try await harness.accounts.deleteUser(named: "alice", by: .token(3)) }
        #expect(try await harness.rowCounts(ofUser: alice.user.id)["users"] == 1)
        #expect(harness.log.text.contains("delete user failed"))
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { start in self[start..<(start + needle.count)].elementsEqual(needle) }
    }
}
