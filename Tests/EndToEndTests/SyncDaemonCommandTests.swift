import CoffreProtocol
import Foundation
import Glibc
import Testing

/// `coffre sync` as a long-running process: the daemon, its clean stop, a folder already in
/// use, `kill -9` in the middle of a large sync, and the messages for an offline server, a
/// revoked device and a full quota.
@Suite("coffre sync daemon and failures (real binaries)")
struct SyncDaemonCommandTests {
    @Test func daemonPicksUpLocalAndRemoteChangesAndStopsCleanly() async throws {
        let f = try await SyncCommandsTests.twoDevices()
        #expect(try await f.syncOnce("phone", "b", vault: "Documents").status == 0)
        let daemon = try f.startSync("laptop", "a", vault: "Documents")
        // Once it holds the folder's lock, a second sync of the same folder is refused.
        #expect(await daemon.waitForStandardError(containing: "syncing; stop with"))
        try f.write("from the laptop", at: "local.txt", in: "a")
        var pulled = false
        for _ in 0..<100 where !pulled {
            #expect(try await f.syncOnce("phone", "b").status == 0)
            pulled = try f.tree("b")["local.txt"] == "from the laptop"
            if !pulled { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(pulled, "the daemon committed a local change")
        let busy = try await f.syncOnce("laptop", "a")
        #expect(busy.status == 6 && busy.stderr.contains("already being synced"), "\(busy)")
        let status = try await f.coffre("laptop", ["status"])
        #expect(status.stdout.contains("coffre sync is running"), "\(status)")

        try f.write("from the phone", at: "remote.txt", in: "b")
        #expect(try await f.syncOnce("phone", "b").status == 0)
        #expect(await f.eventually { (try? f.tree("a")["remote.txt"]) == "from the phone" }, "the daemon applied a remote change")

        #expect(await daemon.stop(signal: SIGTERM) == 0, "\(daemon.standardError())")
        #expect(try await f.syncOnce("laptop", "a").status == 0)
    }

    @Test func killedRepeatedlyDuringALargeSyncThenConvergesWithoutLossOrDuplicates() async throws {
        let f = try await SyncCommandsTests.twoDevices()
        var expected: [String: String] = [:]
        for index in 0..<300 {
            let relative = "batch\(index % 7)/file-\(index).txt"
            let text = "file \(index) " + String(repeating: "\(index % 10)", count: 2_000 + index * 13)
            try f.write(text, at: relative, in: "a")
            expected[relative] = text
        }
        for folder in 0..<7 { expected["batch\(folder)"] = "/" }
        var kills = 0
        for round in 0..<4 {
            let sync = try f.startSync("laptop", "a", vault: "Documents", extra: ["--once"])
            // A precise pause, not Task.sleep: resuming a task waits for a free thread of the
            // pool, and a late kill finds the sync already done (no kill lands at all).
            usleep(UInt32(150_000 + round * 150_000))
            if await sync.stop(signal: SIGKILL) == SIGKILL { kills += 1 }
        }
        // --vault again: under load every killed run may have died before it registered the
        // folder (the registry records it once the engine holds the folder).
        let converged = try await f.syncOnce("laptop", "a", vault: "Documents")
        #expect(converged.status == 0, "\(converged)")
        #expect(try await f.syncOnce("laptop", "a").stdout.hasPrefix("0 file(s) up"), "nothing left to send")
        let received = try await f.syncOnce("phone", "b", vault: "Documents")
        #expect(received.status == 0, "\(received)")
        #expect(try f.tree("a") == expected)
        #expect(try f.tree("b") == expected, "every file once, none lost, no conflict copies")
        #expect(kills > 0, "at least one run was cut off by SIGKILL")
    }

    @Test func offlineServerRevokedDeviceAndFullQuotaHaveClearMessages() async throws {
        let f = try await SyncCommandsTests.twoDevices()
        try f.write("hello", at: "hello.txt", in: "a")
        #expect(try await f.syncOnce("laptop", "a", vault: "Documents").status == 0)

        // Quota: 1 KiB cannot hold a 64 KiB file.
        #expect(try await f.setting.admin("user", "quota", "alice", "1KiB").status == 0)
        try f.write(String(repeating: "q", count: 64 << 10), at: "big-secret-name.bin", in: "a")
        let full = try await f.syncOnce("laptop", "a")
        #expect(full.status == 1, "\(full)")
        #expect(full.stderr.contains("storage quota is full") && !full.stderr.contains("big-secret-name"), "\(full.stderr)")
        #expect(try await f.setting.admin("user", "quota", "alice", "unlimited").status == 0)
        #expect(try await f.syncOnce("laptop", "a").status == 0)

        // Revoked: the phone's token is cut off.
        let devices = try f.setting.decode(DeviceList.self, try await f.setting.admin("device", "list", "alice", "--json"))
        let phone = try #require(devices.devices.first { $0.name == "phone" }?.id)
        #expect(try await f.setting.admin("device", "revoke", String(phone)).status == 0)
        let revoked = try await f.syncOnce("phone", "b", vault: "Documents")
        #expect(revoked.status == 4 && revoked.stderr.contains("this device was signed out; run coffre login"), "\(revoked)")

        // Offline: the server is stopped.
        #expect(await f.setting.server.stop() == 0)
        let offline = try await f.syncOnce("laptop", "a")
        #expect(offline.status == 3, "\(offline)")
        #expect(offline.stderr.contains("cannot be reached") && !offline.stderr.contains("hello"), "\(offline.stderr)")
    }
}
