@testable import CoffreClient
import CoffreProtocol
import Testing

/// Inode tracking: which scan item each synced entry is.
@Suite struct LocalMatchTests {
    static func metadata(inode: UInt64, size: Int64 = 10, mtime: Int64 = 100) -> FileMetadata {
        FileMetadata(size: size, modificationTime: mtime, changeTime: 0, mode: 0o644, inode: inode, device: 1)
    }

    static func scanned(_ path: String, _ kind: ScannedEntry.Kind = .file, inode: UInt64, size: Int64 = 10, mtime: Int64 = 100) throws -> ScannedEntry {
        ScannedEntry(path: try LocalPath(path), kind: kind, metadata: metadata(inode: inode, size: size, mtime: mtime))
    }

    static func synced(_ path: String, kind: EntryKind = .file, inode: UInt64, size: Int64 = 10, mtime: Int64 = 100) -> SyncedEntry {
        let attributes = EntryAttributes(
            name: String(path.split(separator: "/").last!), modificationTime: mtime, mode: 0o644, size: UInt64(size),
            symlinkTarget: nil, manifest: .none, generation: 1)
        return SyncedEntry(
            id: LocalPlanner.newEntryID(), parentID: .root, kind: kind, rev: 1, remoteDeleted: false, attributes: attributes,
            chunks: [], path: path, local: LocalIdentity(metadata(inode: inode, size: size, mtime: mtime)))
    }

    static func match(_ entries: [ScannedEntry], skipped: [SkippedEntry] = [], synced: [SyncedEntry]) -> LocalMatch {
        let snapshot = LocalSnapshot(entries: entries, hasEveryEntry: true, skipped: skipped, ignoreRules: IgnoreRules(), differenceCount: 1)
        return LocalMatch(snapshot: snapshot, synced: Dictionary(uniqueKeysWithValues: synced.map { ($0.id, $0) }))
    }

    @Test func aRenamedFileIsFoundByItsInode() throws {
        let entry = Self.synced("old.txt", inode: 7)
        let moved = try Self.scanned("new.txt", inode: 7)
        let match = Self.match([moved], synced: [entry])
        #expect(match.state(of: entry.id) == .present(moved))
        #expect(match.owners[DiskPath("new.txt")] == entry.id)
    }

    @Test func aReusedInodeWithOtherContentIsNotAMove() throws {
        // old.txt was deleted; the new file got its inode number back but is another file.
        let entry = Self.synced("old.txt", inode: 7)
        let other = try Self.scanned("new.txt", inode: 7, size: 99, mtime: 200)
        let match = Self.match([other], synced: [entry])
        #expect(match.state(of: entry.id) == .missing)
        #expect(match.owners[DiskPath("new.txt")] == nil)
    }

    @Test func aFileReplacedAtItsPathIsTheSameEntryEdited() throws {
        // An editor saved by writing a temp file and renaming it over the original.
        let entry = Self.synced("doc.txt", inode: 7)
        let saved = try Self.scanned("doc.txt", inode: 8, size: 20, mtime: 300)
        let match = Self.match([saved], synced: [entry])
        #expect(match.state(of: entry.id) == .present(saved))
        #expect(saved.hasContentChanged(since: entry))
    }

    @Test func aMoveWinsOverAReplacementAtTheOldPath() throws {
        // doc.txt moved to archive.txt, and a new doc.txt was created.
        let entry = Self.synced("doc.txt", inode: 7)
        let moved = try Self.scanned("archive.txt", inode: 7)
        let fresh = try Self.scanned("doc.txt", inode: 9)
        let match = Self.match([moved, fresh], synced: [entry])
        #expect(match.state(of: entry.id) == .present(moved))
        #expect(match.owners[DiskPath("doc.txt")] == nil)
    }

    @Test func aKindChangeIsNotTheSameEntry() throws {
        let entry = Self.synced("thing", inode: 7)
        let folder = try Self.scanned("thing", .folder, inode: 7)
        let match = Self.match([folder], synced: [entry])
        #expect(match.state(of: entry.id) == .missing)
    }

    @Test func entriesUnderASkippedFolderOrIgnoredNowAreUnknownNotDeleted() throws {
        let inside = Self.synced("locked/deep/file.txt", inode: 7)
        let ignored = Self.synced("cache.swp", inode: 8)
        let gone = Self.synced("gone.txt", inode: 9)
        let skip = SkippedEntry(rawPath: Array("locked".utf8), path: try LocalPath("locked"), reason: .unreadable(errno: 13))
        let match = Self.match([], skipped: [skip], synced: [inside, ignored, gone])
        #expect(match.state(of: inside.id) == .unknown)
        #expect(match.state(of: ignored.id) == .unknown)
        #expect(match.state(of: gone.id) == .missing)
    }
}
