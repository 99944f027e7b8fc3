import CoffreProtocol
import Foundation
import Testing

/// Sharing on the real binaries: alice owns a vault, bob writes to it, carol only reads it;
/// names resolve client-side, with clear refusals for unknown and ambiguous ones.
@Suite("coffre vault share, members, unshare (real binaries)")
struct VaultSharingCommandsTests {
    @Test func sharedVaultIsListedSyncedAndUnshared() async throws {
        let f = try SyncCommandFixture()
        try await f.account("alice", device: "alice")
        try await f.account("bob", device: "bob")
        try await f.account("carol", device: "carol")
        #expect(try await f.coffre("alice", ["vault", "create", "Team"]).status == 0)
        try f.write("agenda", at: "agenda.txt", in: "alice")
        #expect(try await f.syncOnce("alice", "alice", vault: "Team").status == 0)

        let shared = try await f.coffre("alice", ["vault", "share", "Team", "--with", "bob"])
        #expect(shared.status == 0, "\(shared)")
        #expect(shared.stdout.contains("Shared with bob (write)") && shared.stdout.contains("now pinned"), "\(shared.stdout)")
        #expect(try await f.coffre("alice", ["vault", "share", "Team", "--with", "carol", "--role", "read"]).status == 0)
        let owner = try await f.coffre("alice", ["vault", "share", "Team", "--with", "carol", "--role", "owner"])
        #expect(owner.status == 2, "\(owner)")
        for stranger in ["nobody", "Not A Name"] {
            let unknown = try await f.coffre("alice", ["vault", "share", "Team", "--with", stranger])
            #expect(unknown.status == 1 && unknown.stderr.contains("no registered user has that name"), "\(unknown)")
        }

        // Bob sees the vault, and the fingerprint alice was shown is the one of his own keys.
        let bobList = try await f.coffre("bob", ["vault", "list"])
        #expect(bobList.stdout.contains("Team") && bobList.stdout.contains("write"), "\(bobList)")
        let members = try await f.coffre("bob", ["vault", "members", "Team", "--json"])
        #expect(members.status == 0, "\(members)")
        let fingerprint = try #require(shared.stdout.split(separator: "\n").first { $0.hasPrefix("Key fingerprint of bob: ") })
            .dropFirst("Key fingerprint of bob: ".count)
        #expect(members.stdout.contains(String(fingerprint)) && members.stdout.contains("\"isYou\" : true"))

        // A key for bob other than the one pinned (as a lying server would hand out) is refused.
        let pinFile = f.setting.home("alice") + "/member-keys.json"
        let pinned = try String(contentsOfFile: pinFile, encoding: .utf8)
        let bob = try f.setting.decode(AccountResponse.self, try await f.coffre("bob", ["whoami", "--json"]))
        let bobKey = Data(bob.keys.ed25519PublicKey.bytes).base64EncodedString()
        #expect(pinned.contains(bobKey))
        try pinned.replacingOccurrences(of: bobKey, with: Data(repeating: 7, count: 32).base64EncodedString())
            .write(toFile: pinFile, atomically: false, encoding: .utf8)
        let swapped = try await f.coffre("alice", ["vault", "members", "Team"])
        #expect(swapped.status == 7 && swapped.stderr.contains("pinned on first use"), "\(swapped)")
        try pinned.write(toFile: pinFile, atomically: false, encoding: .utf8)

        // Bob syncs it both ways; carol reads it, and her local edit is refused clearly.
        #expect(try await f.syncOnce("bob", "bob", vault: "Team").status == 0)
        #expect(try f.tree("bob")["agenda.txt"] == "agenda")
        try f.write("agenda, bob's take", at: "agenda.txt", in: "bob")
        #expect(try await f.syncOnce("bob", "bob").status == 0)
        #expect(try await f.syncOnce("alice", "alice").status == 0)
        #expect(try f.tree("alice")["agenda.txt"] == "agenda, bob's take")
        #expect(try await f.syncOnce("carol", "carol", vault: "Team").status == 0)
        try f.write("carol was here", at: "agenda.txt", in: "carol")
        let refused = try await f.syncOnce("carol", "carol")
        #expect(refused.status == 9, "\(refused)")
        #expect(refused.stderr.contains("read-only vault"), "\(refused.stderr)")
        #expect(try await f.syncOnce("alice", "alice").status == 0)
        #expect(try f.tree("alice")["agenda.txt"] == "agenda, bob's take")

        // Names: unknown, taken (a vault shared with you counts), ambiguous (bob has his own
        // "Notes" and carol shares hers, also "Notes").
        #expect(try await f.coffre("alice", ["vault", "members", "Nope"]).status == 2)
        let taken = try await f.coffre("bob", ["vault", "create", "Team"])
        #expect(taken.status == 1 && taken.stderr.contains("already have a vault of that name"), "\(taken)")
        #expect(try await f.coffre("bob", ["vault", "create", "Notes"]).status == 0)
        #expect(try await f.coffre("carol", ["vault", "create", "Notes"]).status == 0)
        #expect(try await f.coffre("carol", ["vault", "share", "Notes", "--with", "bob", "--role", "read"]).status == 0)
        let ambiguous = try await f.coffre("bob", ["vault", "members", "Notes"])
        #expect(ambiguous.status == 2 && ambiguous.stderr.contains("2 of your vaults have that name"), "\(ambiguous)")
        let notOwner = try await f.coffre("carol", ["vault", "share", "Team", "--with", "bob"])
        #expect(notOwner.status == 1 && notOwner.stderr.contains("only an owner"), "\(notOwner)")

        // Carol is removed: the vault leaves her list; a new key generation carries on for bob.
        let unshared = try await f.coffre("alice", ["vault", "unshare", "Team", "--with", "carol"])
        #expect(unshared.status == 0 && unshared.stdout.contains("key generation 2"), "\(unshared)")
        #expect(!(try await f.coffre("carol", ["vault", "list"])).stdout.contains("Team"))
        let gone = try await f.syncOnce("carol", "carol")
        #expect(gone.status == 1 && gone.stderr.contains("no longer a member of it"), "\(gone)")
        try f.write("after carol", at: "minutes.txt", in: "alice")
        #expect(try await f.syncOnce("alice", "alice").status == 0)
        let bobPass = try await f.coffre("bob", ["sync", f.path("bob"), "--once"])
        #expect(bobPass.status == 0, "\(bobPass)")
        #expect(try f.tree("bob")["minutes.txt"] == "after carol")
    }
}
