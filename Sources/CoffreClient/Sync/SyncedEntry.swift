import CoffreProtocol

/// One entry of the synced tree (DESIGN §8): the last state both sides agreed on — the remote
/// state at `rev` and where and what the entry was on disk then (`path`, `local`). A local
/// change is a difference from `local`; a remote change is a feed state with a higher rev.
struct SyncedEntry: Sendable, Equatable {
    var id: EntryID
    var parentID: EntryID
    var kind: EntryKind
    /// The remote rev this state was agreed at (the base rev of the next commit).
    var rev: Int64
    /// The remote side deleted the entry while this side kept a change: the next commit
    /// brings it back (edit beats delete).
    var remoteDeleted: Bool
    var attributes: EntryAttributes
    /// Files: the whole chunk list (for an indirect manifest, the chunks its blobs list).
    var chunks: [ChunkReference]
    /// The on-disk relative path, byte for byte (a name may be NFD on disk).
    var path: String
    var local: LocalIdentity

    /// The scan's order: the on-disk path with `/` as a zero byte, compared as bytes. Names
    /// hold neither NUL nor `/`, so this orders paths component by component, a folder right
    /// before its contents (the order `TreeScan` yields).
    var sortKey: [UInt8] { Self.sortKey(path) }

    static func sortKey(_ path: String) -> [UInt8] {
        path.utf8.map { $0 == UInt8(ascii: "/") ? 0 : $0 }
    }

    /// Every blob the entry's state references: chunks, then manifest blobs (a commit lists them all).
    var blobIDs: [BlobID] {
        guard kind == .file else { return [] }
        var ids = chunks.compactMap { BlobID(bytes: $0.blobID) }
        if attributes.manifest.form == .indirect {
            ids += attributes.manifest.references.compactMap { BlobID(bytes: $0.blobID) }
        }
        return ids
    }
}

/// What a synced entry was on disk when last agreed (lstat fields), to tell later local
/// changes and to recognise the entry after a move (inode and device).
struct LocalIdentity: Sendable, Equatable {
    var inode: UInt64
    var device: UInt64
    var size: Int64
    var modificationTime: Int64
    /// Permission bits, 0o777 only.
    var mode: UInt32
    /// st_ctim in nanoseconds; 0 when unknown (a row written before the index recorded it).
    var changeTime: Int64

    init(inode: UInt64, device: UInt64, size: Int64, modificationTime: Int64, mode: UInt32, changeTime: Int64 = 0) {
        self.inode = inode
        self.device = device
        self.size = size
        self.modificationTime = modificationTime
        self.mode = mode & 0o777
        self.changeTime = changeTime
    }

    init(_ metadata: FileMetadata) {
        self.init(
            inode: metadata.inode, device: metadata.device, size: metadata.size,
            modificationTime: metadata.modificationTime, mode: metadata.mode, changeTime: metadata.changeTime)
    }

    /// The same inode on the same file system.
    func isSameInode(as metadata: FileMetadata) -> Bool {
        inode == metadata.inode && device == metadata.device
    }

    /// Same inode, size and mtime: the file's content is as agreed, as far as metadata can
    /// tell (the test Syncthing and rsync use too).
    func hasSameContent(as metadata: FileMetadata) -> Bool {
        isSameInode(as: metadata) && size == metadata.size && modificationTime == metadata.modificationTime
    }

    /// Same inode, size, mtime and ctime, with the ctime known: nothing has written to,
    /// truncated, renamed or re-linked the file since it was recorded, so it still holds the
    /// recorded bytes (inode(7): st_ctime changes on every write and status change, and no
    /// system call sets it). Trusted for delta downloads' unchanged ranges (`SyncedRangeCopier`).
    func provesContent(of metadata: FileMetadata) -> Bool {
        changeTime != 0 && hasSameContent(as: metadata) && changeTime == metadata.changeTime
    }

    /// The FileMetadata `FilePlacement` compares before replacing (ctime is not recorded).
    var expectedMetadata: FileMetadata {
        FileMetadata(size: size, modificationTime: modificationTime, changeTime: 0, mode: mode, inode: inode, device: device)
    }
}
