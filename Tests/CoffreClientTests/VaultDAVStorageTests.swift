@testable import CoffreClient
import CoffreProtocol
import Foundation
import HTTPServer
import Testing

/// `VaultDAVStorage` over the real `SyncStore` in process: every method, races between two
/// gateways (two devices), hostile names, the feed bringing other devices' changes.
@Suite("Vault WebDAV storage")
struct VaultDAVStorageTests {
    typealias F = VaultDAVFixture

    @Test func createsReadsAndListsThroughTheVault() async throws {
        let fixture = try await F()
        let dav = try await fixture.gateway()
        try await dav.makeCollection(at: try F.path("docs"))
        let created = try await dav.write(try F.path("docs/a.txt"), body: F.body("hello"), condition: .absent)
        #expect(created.created)
        let info = try #require(try await dav.info(at: try F.path("docs/a.txt"), withProperties: true))
        #expect(!info.isCollection && info.contentLength == 5 && info.etag == created.etag && info.deadProperties == [:])
        #expect(info.contentType?.hasPrefix("text/plain") == true)
        #expect(try await F.text(dav, "docs/a.txt") == "hello")
        let listing = try await dav.children(of: try F.path("docs"), withProperties: false)
        #expect(listing.map(\.path.name) == ["a.txt"])
        #expect(try await dav.children(of: .root, withProperties: false).map(\.path.name) == ["docs"])
        await #expect(throws: DAVError.alreadyExists) { try await dav.makeCollection(at: try F.path("docs")) }
        await #expect(throws: DAVError.self) { try await dav.children(of: try F.path("docs/a.txt"), withProperties: false) }
        await #expect(throws: DAVError.notFound) { try await dav.read(try F.path("docs/none"), range: nil) }

        let replaced = try await dav.write(try F.path("docs/a.txt"), body: F.body("again"), condition: .etagMatches([created.etag]))
        #expect(!replaced.created && replaced.etag != created.etag)
        // Another device's gateway reads the same vault: the names and bytes were encrypted, not lost.
        let other = try await fixture.gateway()
        #expect(try await F.text(other, "docs/a.txt") == "again")
        let empty = try await dav.write(try F.path("empty"), body: F.body(""), condition: .always)
        #expect(empty.created)
        #expect(try await F.read(other, "docs/a.txt").count == 5)
        try await other.refresh()
        #expect(try await F.read(other, "empty").isEmpty)
    }

    @Test func aWriteThatLostARaceIsRefusedNeverSilentlyApplied() async throws {
        let fixture = try await F()
        let first = try await fixture.gateway()
        let base = try await first.write(try F.path("f"), body: F.body("base"), condition: .always)
        let second = try await fixture.gateway()
        // The first gateway wins; the second still holds the old state in its tree.
        _ = try await first.write(try F.path("f"), body: F.body("winner"), condition: .etagMatches([base.etag]))
        await #expect(throws: DAVError.preconditionFailed) {
            try await second.write(try F.path("f"), body: F.body("loser"), condition: .etagMatches([base.etag]))
        }
        // Without a condition too: the commit's baseRev is the state the request saw.
        let stale = try await fixture.gateway()
        _ = try await first.write(try F.path("f"), body: F.body("newest"), condition: .always)
        await #expect(throws: DAVError.preconditionFailed) { try await stale.write(try F.path("f"), body: F.body("x"), condition: .always) }
        // Two creators of one name: one wins.
        let creatorA = try await fixture.gateway()
        let creatorB = try await fixture.gateway()
        _ = try await creatorA.write(try F.path("new"), body: F.body("a"), condition: .absent)
        await #expect(throws: DAVError.preconditionFailed) { try await creatorB.write(try F.path("new"), body: F.body("b"), condition: .absent) }
        // The loser caught up after its refusal: it now sees the winner.
        #expect(try await F.text(creatorB, "new") == "a")
        // The refused gateway caught up to the state that beat it; later ones come with the feed.
        #expect(try await F.text(second, "f") == "winner")
        try await second.refresh()
        #expect(try await F.text(second, "f") == "newest")
        #expect(try await F.text(first, "f") == "newest")
    }

    @Test func aParentGoneMeanwhileIsAConflict() async throws {
        let fixture = try await F()
        let first = try await fixture.gateway()
        try await first.makeCollection(at: try F.path("dir"))
        let second = try await fixture.gateway()
        try await first.delete(try F.path("dir"))
        await #expect(throws: DAVError.conflict("the parent collection changed")) {
            try await second.write(try F.path("dir/f"), body: F.body("x"), condition: .always)
        }
        await #expect(throws: DAVError.conflict("no parent collection")) {
            try await first.write(try F.path("dir/f"), body: F.body("x"), condition: .always)
        }
        await #expect(throws: DAVError.conflict("no parent collection")) { try await first.makeCollection(at: try F.path("a/b")) }
    }

    @Test(arguments: [".coffre", ".coffre-tmp-1234"])
    func namesTheSyncReservesAreRefused(_ name: String) async throws {
        let fixture = try await F()
        let dav = try await fixture.gateway()
        await #expect(throws: DAVError.forbidden("name reserved by the sync")) {
            try await dav.write(try F.path(name), body: F.body("x"), condition: .always)
        }
        await #expect(throws: DAVError.forbidden("name reserved by the sync")) { try await dav.makeCollection(at: try F.path(name)) }
        _ = try await dav.write(try F.path("ok"), body: F.body("x"), condition: .always)
        await #expect(throws: DAVError.forbidden("name reserved by the sync")) {
            try await dav.move(from: try F.path("ok"), to: try F.path(name), overwrite: true)
        }
        #expect(try await fixture.world.liveEntries().count == 1)
    }

    @Test func hostilePathsNeverReachTheVault() {
        for hostile in ["/..", "/a/%2e%2e/b", "/a%2Fb", "/a%00b", "/%ff", "/a/./b"] {
            #expect(throws: DAVError.self) { try DAVPath(percentEncoded: hostile) }
        }
    }

    @Test func namesOtherClientsWroteThatWebDAVCannotAddressAreLeftOut() async throws {
        let fixture = try await F()
        let dav = try await fixture.gateway()
        _ = try await dav.write(try F.path("fine"), body: F.body("x"), condition: .always)
        // Valid in a record (NFC, no '/' or NUL) but not as a WebDAV path segment.
        for name in ["bell\u{7}name", String(repeating: "n", count: 300)] {
            let record = EntryRecord(kind: .folder, name: name, modificationTime: 0, mode: 0o755, size: 0)
            let node = try dav.newNode(kind: .folder, parent: .root, record: record, generation: dav.keyring.newest.number)
            try await dav.commit([VaultDAVStorage.Edit(node: node, baseRev: 0, blobs: [])])
        }
        #expect(try await dav.children(of: .root, withProperties: true).map(\.path.name) == ["fine"])
    }

    @Test func deleteCommitsTombstonesForAWholeFolder() async throws {
        let fixture = try await F()
        let dav = try await fixture.gateway()
        try await dav.makeCollection(at: try F.path("a"))
        try await dav.makeCollection(at: try F.path("a/b"))
        _ = try await dav.write(try F.path("a/b/f"), body: F.body("1"), condition: .always)
        _ = try await dav.write(try F.path("a/g"), body: F.body("2"), condition: .always)
        _ = try await dav.write(try F.path("keep"), body: F.body("3"), condition: .always)
        let seq = dav.cursor
        try await dav.delete(try F.path("a"))
        #expect(try await dav.info(at: try F.path("a"), withProperties: false) == nil)
        #expect(try await fixture.world.liveEntries().count == 1)
        // One commit: the four tombstones share one rev.
        let page = try await fixture.world.store.changes(fixture.world.vaultID, user: fixture.world.owner, since: seq, limit: 100)
        #expect(Set(page.entries.filter(\.deleted).map(\.rev)).count == 1 && page.entries.filter(\.deleted).count == 4)
        await #expect(throws: DAVError.notFound) { try await dav.delete(try F.path("a")) }
        await #expect(throws: DAVError.forbidden("the vault root cannot be deleted")) { try await dav.delete(.root) }
    }

    @Test func moveAndCopyAreMetadataOnlyCommits() async throws {
        let fixture = try await F()
        let dav = try await fixture.gateway()
        let content = F.noise(200_000, seed: 7)
        try await dav.makeCollection(at: try F.path("src"))
        _ = try await dav.write(try F.path("src/data.bin"), body: F.body(content), condition: .always)
        try await dav.updateProperties(of: try F.path("src/data.bin"), [.set(DAVPropertyName(namespace: "urn:t", name: "p"), DAVPropertyValue(fragment: "v"))])
        let uploaded = fixture.world.shelf.counters.blobsPut
        let before = try #require(try await fixture.world.liveEntries().first { $0.kind == .file })

        #expect(try await dav.copy(from: try F.path("src"), to: try F.path("copy"), overwrite: false, recursive: true) == false)
        #expect(try await dav.move(from: try F.path("src/data.bin"), to: try F.path("moved.bin"), overwrite: false) == false)
        #expect(fixture.world.shelf.counters.blobsPut == uploaded)
        #expect(try await F.read(dav, "moved.bin") == content)
        #expect(try await F.read(dav, "copy/data.bin") == content)
        let live = try await fixture.world.liveEntries()
        // The move kept the entry; the copy made new ones.
        #expect(live.contains { $0.entryId == before.entryId && $0.parentId == .root })
        #expect(live.count == 4)
        let copied = try #require(try await dav.info(at: try F.path("copy/data.bin"), withProperties: true))
        #expect(copied.deadProperties?[DAVPropertyName(namespace: "urn:t", name: "p")] == DAVPropertyValue(fragment: "v"))

        _ = try await dav.write(try F.path("other"), body: F.body("o"), condition: .always)
        await #expect(throws: DAVError.alreadyExists) { try await dav.move(from: try F.path("moved.bin"), to: try F.path("other"), overwrite: false) }
        #expect(try await dav.move(from: try F.path("moved.bin"), to: try F.path("other"), overwrite: true))
        #expect(try await F.read(dav, "other") == content)
        #expect(try await dav.copy(from: try F.path("copy"), to: try F.path("src"), overwrite: true, recursive: false))
        #expect(try await dav.children(of: try F.path("src"), withProperties: false).isEmpty)
        await #expect(throws: DAVError.notFound) { try await dav.copy(from: try F.path("none"), to: try F.path("x"), overwrite: true, recursive: true) }
    }

    @Test func deadPropertiesAreKeptEncryptedInTheRecord() async throws {
        let fixture = try await F()
        let dav = try await fixture.gateway()
        _ = try await dav.write(try F.path("f"), body: F.body("x"), condition: .always)
        let name = DAVPropertyName(namespace: "urn:marker-ns-5150", name: "marker-name-5150")
        let value = DAVPropertyValue(fragment: "marker-value-5150")
        try await dav.updateProperties(of: try F.path("f"), [.set(name, value)])
        // A PUT keeps them; a new gateway reads them back from the record.
        _ = try await dav.write(try F.path("f"), body: F.body("y"), condition: .always)
        let reopened = try await fixture.gateway()
        #expect(try await reopened.info(at: try F.path("f"), withProperties: true)?.deadProperties == [name: value])
        // Nothing of them reaches the server in clear.
        let states = try await fixture.world.store.changes(fixture.world.vaultID, user: fixture.world.owner, since: 0, limit: 100).entries
        let stored = states.flatMap(\.record.bytes)
        for marker in ["marker-ns-5150", "marker-name-5150", "marker-value-5150"] {
            #expect(!Self.contains(stored, Array(marker.utf8)))
        }
        // Past what a record can hold: 507 for the whole PROPPATCH, nothing changed.
        let large = DAVPropertyValue(fragment: String(repeating: "v", count: EntryRecord.maximumDeadPropertiesByteCount))
        await #expect(throws: DAVError.insufficientStorage("properties too large for a vault record")) {
            try await dav.updateProperties(of: try F.path("f"), [.remove(name), .set(DAVPropertyName(namespace: "", name: "big"), large)])
        }
        #expect(try await dav.info(at: try F.path("f"), withProperties: true)?.deadProperties == [name: value])
        try await dav.updateProperties(of: try F.path("f"), [.remove(name)])
        #expect(try await dav.info(at: try F.path("f"), withProperties: true)?.deadProperties == [:])
        await #expect(throws: DAVError.self) { try await dav.updateProperties(of: .root, [.remove(name)]) }
    }

    @Test func changesByAnotherDeviceAppearThroughTheFeed() async throws {
        let fixture = try await F()
        let watcher = try await fixture.gateway()
        watcher.startFollowing()
        defer { watcher.stop() }
        let writer = try await fixture.gateway()
        _ = try await writer.write(try F.path("news"), body: F.body("fresh"), condition: .always)
        var seen: DAVResourceInfo?
        for _ in 0..<500 where seen == nil {
            seen = try await watcher.info(at: try F.path("news"), withProperties: false)
            if seen == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(seen?.contentLength == 5)
        #expect(try await F.text(watcher, "news") == "fresh")
    }

    @Test func theSyncEngineAndTheGatewaySeeEachOthersWrites() async throws {
        let fixture = try await F()
        let device = try await fixture.world.device("laptop")
        _ = try device.tree.write("from-laptop.txt", "written on disk")
        try await device.sync()
        let dav = try await fixture.gateway()
        #expect(try await F.text(dav, "from-laptop.txt") == "written on disk")
        try await dav.makeCollection(at: try F.path("web"))
        _ = try await dav.write(try F.path("web/from-dav.txt"), body: F.body("written over WebDAV"), condition: .always)
        try await device.sync()
        #expect(try device.contents()["web/from-dav.txt"].map { if case .file(let bytes, _, _) = $0 { bytes } else { [] } }
            == Array("written over WebDAV".utf8))
    }

    /// A property set over WebDAV on a file and a folder survives the sync engine publishing
    /// local edits of the file, from the device that synced it before and from a second one.
    @Test func deadPropertiesSurviveEditsPublishedByTheSyncEngine() async throws {
        let fixture = try await F()
        let device = try await fixture.world.device("laptop")
        try device.tree.folder("notes")
        _ = try device.tree.write("notes/f.txt", "first")
        try await device.sync()
        let dav = try await fixture.gateway()
        let name = DAVPropertyName(namespace: "urn:t", name: "colour")
        let value = DAVPropertyValue(fragment: "blue")
        try await dav.updateProperties(of: try F.path("notes/f.txt"), [.set(name, value)])
        try await dav.updateProperties(of: try F.path("notes"), [.set(name, value)])
        try await device.sync()
        _ = try device.tree.write("notes/f.txt", "edited on the laptop")
        try await device.sync()
        let other = try await fixture.world.device("desktop")
        try await other.sync()
        _ = try other.tree.write("notes/f.txt", "edited on the desktop")
        try await other.sync()
        let reopened = try await fixture.gateway()
        #expect(try await F.text(reopened, "notes/f.txt") == "edited on the desktop")
        #expect(try await reopened.info(at: try F.path("notes/f.txt"), withProperties: true)?.deadProperties == [name: value])
        #expect(try await reopened.info(at: try F.path("notes"), withProperties: true)?.deadProperties == [name: value])
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
