import CoffreProtocol
import CoffreServer
import Testing

/// The commit rules of DESIGN §7, each broken on purpose, and the states that must still pass.
@Suite struct CommitValidatorTests {
    typealias F = SyncFixture

    @Test func staleBaseRevIsAConflictWithTheCurrentState() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let file = F.randomEntryID()
        try await fixture.commit(vault, [F.file(file, named: "a")])
        try await fixture.commit(vault, [F.file(file, named: "a", base: 1, marker: 2)])
        let conflicts = try await fixture.conflicts(vault, [F.file(file, named: "a", base: 1, marker: 3)])
        #expect(conflicts.count == 1)
        #expect(conflicts.first?.reason == .staleRev)
        #expect(conflicts.first?.current?.rev == 2)
        #expect(conflicts.first?.current?.parentId == .root)
        #expect(conflicts.first?.current?.deleted == false)
    }

    @Test func baseRevZeroOnAnExistingEntryOrTombstoneConflicts() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let live = F.randomEntryID()
        let gone = F.randomEntryID()
        try await fixture.commit(vault, [F.file(live, named: "live"), F.file(gone, named: "gone")])
        try await fixture.commit(vault, [F.file(gone, named: "gone", base: 1, deleted: true)])
        let conflicts = try await fixture.conflicts(vault, [F.file(live, named: "x"), F.file(gone, named: "y")])
        #expect(conflicts.map(\.reason) == [.alreadyExists, .alreadyExists])
        #expect(conflicts.map(\.entryId) == [live, gone])
        #expect(conflicts[1].current?.deleted == true)
    }

    @Test func unknownEntryWithBaseRevAboveZeroIsNotFound() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let conflicts = try await fixture.conflicts(vault, [F.file(F.randomEntryID(), named: "a", base: 7)])
        #expect(conflicts.map(\.reason) == [.notFound])
        #expect(conflicts.first?.current == nil)
    }

    @Test func kindCannotChange() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let id = F.randomEntryID()
        try await fixture.commit(vault, [F.file(id, named: "a")])
        let conflicts = try await fixture.conflicts(vault, [F.folder(id, named: "a", base: 1)])
        #expect(conflicts.map(\.reason) == [.kindChanged])
    }

    @Test func parentMustBeALiveFolder() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let folder = F.randomEntryID()
        let file = F.randomEntryID()
        let trashed = F.randomEntryID()
        try await fixture.commit(
            vault, [F.folder(folder, named: "d"), F.file(file, named: "f"), F.folder(trashed, named: "t")])
        try await fixture.commit(vault, [F.folder(trashed, named: "t", base: 1, deleted: true)])
        let missing = F.randomEntryID()
        let conflicts = try await fixture.conflicts(
            vault,
            [
                F.file(F.randomEntryID(), in: missing, named: "1"),
                F.file(F.randomEntryID(), in: trashed, named: "2"),
                F.file(F.randomEntryID(), in: file, named: "3"),
                F.file(F.randomEntryID(), in: folder, named: "4"),
            ])
        #expect(conflicts.map(\.reason) == [.parentMissing, .parentDeleted, .parentNotFolder])
        #expect(conflicts.map(\.otherEntryId) == [missing, trashed, file])
    }

    @Test func parentCreatedOrDeletedInTheSameBatchCounts() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let folder = F.randomEntryID()
        let child = F.randomEntryID()
        // A folder and its child in one commit, even listed child first.
        try await fixture.commit(vault, [F.file(child, in: folder, named: "c"), F.folder(folder, named: "d")])
        // Deleting the folder while the child stays live in the same batch is refused.
        let conflicts = try await fixture.conflicts(
            vault,
            [
                F.folder(folder, named: "d", base: 1, deleted: true),
                F.file(child, in: folder, named: "c", base: 1, marker: 9),
            ])
        #expect(conflicts.map(\.reason) == [.parentDeleted])
        #expect(conflicts.first?.entryId == child)
        // Deleting both together is fine.
        try await fixture.commit(
            vault,
            [
                F.folder(folder, named: "d", base: 1, deleted: true),
                F.file(child, in: folder, named: "c", base: 1, deleted: true),
            ])
    }

    @Test func deletingAFolderThatKeepsALiveChildIsRefused() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let folder = F.randomEntryID()
        let child = F.randomEntryID()
        try await fixture.commit(vault, [F.folder(folder, named: "d"), F.file(child, in: folder, named: "c")])
        let conflicts = try await fixture.conflicts(vault, [F.folder(folder, named: "d", base: 1, deleted: true)])
        #expect(conflicts.map(\.reason) == [.folderNotEmpty])
        #expect(conflicts.first?.otherEntryId == child)
        // Moving the child out in the same batch empties the folder.
        try await fixture.commit(
            vault, [F.folder(folder, named: "d", base: 1, deleted: true), F.file(child, named: "c", base: 1)])
    }

    @Test func aBatchOfMovesThatMakesACycleIsRefused() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let a = F.randomEntryID()
        let b = F.randomEntryID()
        let c = F.randomEntryID()
        // root/a/b/c
        try await fixture.commit(
            vault, [F.folder(a, named: "a"), F.folder(b, in: a, named: "b"), F.folder(c, in: b, named: "c")])
        // a under its grandchild c, stored below it: a cycle through the database.
        var conflicts = try await fixture.conflicts(vault, [F.folder(a, in: c, named: "a", base: 1)])
        #expect(conflicts.map(\.reason) == [.cycle])
        // Two moves that are each fine alone but make a loop together.
        let x = F.randomEntryID()
        let y = F.randomEntryID()
        try await fixture.commit(vault, [F.folder(x, named: "x"), F.folder(y, named: "y")])
        conflicts = try await fixture.conflicts(
            vault, [F.folder(x, in: y, named: "x", base: 2), F.folder(y, in: x, named: "y", base: 2)])
        #expect(Set(conflicts.map(\.reason)) == [.cycle])
        #expect(Set(conflicts.map(\.entryId)) == [x, y])
        // A folder made its own parent.
        conflicts = try await fixture.conflicts(vault, [F.folder(x, in: x, named: "x", base: 2)])
        #expect(conflicts.map(\.reason) == [.cycle])
        // Moving b (with c) to the top level and a under c is a valid reshuffle.
        try await fixture.commit(vault, [F.folder(b, named: "b", base: 1), F.folder(a, in: c, named: "a", base: 1)])
    }

    @Test func nameTagsAreUniqueAmongLiveSiblings() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let first = F.randomEntryID()
        let folder = F.randomEntryID()
        try await fixture.commit(vault, [F.file(first, named: "same"), F.folder(folder, named: "d")])
        // Taken at the top level, free in another folder.
        let second = F.randomEntryID()
        let conflicts = try await fixture.conflicts(vault, [F.file(second, named: "same")])
        #expect(conflicts.map(\.reason) == [.nameTaken])
        #expect(conflicts.first?.otherEntryId == first)
        try await fixture.commit(vault, [F.file(F.randomEntryID(), in: folder, named: "same")])
        // Two new entries with one name in one batch.
        let twins = try await fixture.conflicts(
            vault, [F.file(F.randomEntryID(), named: "twin"), F.file(F.randomEntryID(), named: "twin")])
        #expect(twins.map(\.reason) == [.nameTaken])
        // The same inside a folder the batch creates (no stored sibling to look up there).
        let fresh = F.randomEntryID()
        let nested = try await fixture.conflicts(
            vault,
            [
                F.folder(fresh, named: "new"), F.file(F.randomEntryID(), in: fresh, named: "x"),
                F.file(F.randomEntryID(), in: fresh, named: "x"),
            ])
        #expect(nested.map(\.reason) == [.nameTaken])
        // Moving an entry onto a taken name.
        let mover = F.randomEntryID()
        try await fixture.commit(vault, [F.file(mover, in: folder, named: "other")])
        let moved = try await fixture.conflicts(vault, [F.file(mover, named: "same", base: 3)])
        #expect(moved.map(\.reason) == [.nameTaken])
    }

    @Test func aNameIsFreeAgainOnceItsHolderIsDeleted() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let first = F.randomEntryID()
        try await fixture.commit(vault, [F.file(first, named: "n")])
        // Deleting the holder and reusing the name in one batch.
        try await fixture.commit(
            vault, [F.file(first, named: "n", base: 1, deleted: true), F.file(F.randomEntryID(), named: "n")])
        // Restoring the deleted one now collides.
        let conflicts = try await fixture.conflicts(vault, [F.file(first, named: "n", base: 2)])
        #expect(conflicts.map(\.reason) == [.nameTaken])
    }

    @Test func twoEntriesMaySwapNamesInOneBatch() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let a = F.randomEntryID()
        let b = F.randomEntryID()
        try await fixture.commit(vault, [F.file(a, named: "left"), F.file(b, named: "right")])
        let seq = try await fixture.commit(
            vault, [F.file(a, named: "right", base: 1), F.file(b, named: "left", base: 1)])
        #expect(seq == 2)
        let page = try await fixture.store.changes(vault, user: 1, since: 1, limit: 10)
        #expect(Set(page.entries.map(\.nameTag)) == [F.tag("left"), F.tag("right")])
        #expect(page.entries.first { $0.entryId == a }?.nameTag == F.tag("right"))
    }

    @Test func everyReferencedBlobMustBeInTheVault() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let other = try await fixture.vault()
        let present = F.blob("present")
        let elsewhere = F.blob("elsewhere")
        try await fixture.store(blobs: [present], in: vault)
        try await fixture.store(blobs: [elsewhere], in: other)
        let file = F.randomEntryID()
        let conflicts = try await fixture.conflicts(
            vault,
            [
                F.file(file, named: "f", blobs: [present, elsewhere, F.blob("never"), elsewhere]),
                F.file(F.randomEntryID(), named: "g", blobs: [present]),
            ])
        #expect(conflicts.count == 1)
        #expect(conflicts.first?.reason == .missingBlobs)
        #expect(conflicts.first?.missingBlobs == [elsewhere, F.blob("never")])
        try await fixture.store(blobs: [elsewhere, F.blob("never")], in: vault)
        try await fixture.commit(vault, [F.file(file, named: "f", blobs: [present, elsewhere, F.blob("never")])])
    }

    @Test func eachConflictingEntryIsListedOnceInRequestOrder() async throws {
        let fixture = try await F()
        let vault = try await fixture.vault()
        let existing = F.randomEntryID()
        try await fixture.commit(vault, [F.file(existing, named: "e")])
        let fresh = F.randomEntryID()
        let conflicts = try await fixture.conflicts(
            vault,
            [
                F.file(fresh, named: "fine"),
                // Stale and also a taken name: only the first rule is reported.
                F.file(existing, named: "fine", base: 9),
                F.file(F.randomEntryID(), in: F.randomEntryID(), named: "orphan"),
            ])
        #expect(conflicts.map(\.reason) == [.staleRev, .parentMissing])
        #expect(conflicts.first?.entryId == existing)
    }

    @Test func malformedCommitsAreRefusedBeforeTheDatabase() async throws {
        var limits = SyncLimits()
        limits.maxEntriesPerCommit = 3
        limits.maxRecordBytes = 100
        limits.maxBlobsPerEntry = 2
        limits.maxBlobsPerCommit = 3
        let fixture = try await F(limits: limits)
        let vault = try await fixture.vault()
        let id = F.randomEntryID()
        let blobs = (0..<2).map { F.blob("\($0)") }
        var big = F.file(F.randomEntryID(), named: "big")
        big.record = F.record(1, size: 101)
        var empty = F.file(F.randomEntryID(), named: "empty")
        empty.record = Base64Bytes([])
        var negative = F.file(F.randomEntryID(), named: "neg")
        negative.baseRev = -1
        let requests: [[EntryChange]] = [
            [],
            (0..<4).map { F.file(F.randomEntryID(), named: "\($0)") },
            [F.file(id, named: "a"), F.file(id, named: "b")],
            [F.file(.root, named: "root")],
            [big], [empty], [negative],
            [F.file(F.randomEntryID(), named: "x", blobs: blobs + blobs)],
            [F.file(F.randomEntryID(), named: "x", blobs: blobs), F.file(F.randomEntryID(), named: "y", blobs: blobs)],
        ]
        for changes in requests {
            await #expect(throws: SyncError.self) {
                try await fixture.store.commit(vault, user: 1, CommitRequest(changes: changes))
            }
        }
        #expect(try await fixture.integer("SELECT count(*) FROM revisions") == 0)
    }
}
