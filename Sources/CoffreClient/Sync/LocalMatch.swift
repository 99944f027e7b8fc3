import CoffreProtocol

/// Where each synced entry is in a local snapshot: the entry a scan item is, by inode
/// tracking, so a rename or move is a move and not a deletion and a creation (DESIGN §8).
///
/// Matching, for each synced entry, in three rounds (each scan item is claimed at most once):
/// 1. the item at the synced path with the same inode (unchanged, or edited in place);
/// 2. an item elsewhere with the same inode and kind — for a file also the same size and
///    mtime, so a reused inode number is not taken for a move (renames keep both);
/// 3. the item at the synced path with another inode but the same kind: a file replaced by an
///    editor's write-to-temp-then-rename save is the same entry, edited.
/// A synced entry left unmatched is deleted here — unless its path, or a folder above it, was
/// skipped by the scan (unreadable, unknown, ignored, another file system...) or is ignored
/// now: its state is unknown and it is never taken as deleted.
struct LocalMatch: Sendable {
    /// How a synced entry stands on disk.
    enum State: Sendable, Equatable {
        /// This scan item is the entry (at its synced path or elsewhere).
        case present(ScannedEntry)
        /// Nothing on disk is the entry: it was deleted here.
        case missing
        /// The scan could not tell.
        case unknown
    }

    /// By synced entry id.
    let states: [EntryID: State]
    /// The synced entry each claimed scan item is, by on-disk path.
    let owners: [DiskPath: EntryID]

    init(snapshot: LocalSnapshot, synced: [EntryID: SyncedEntry]) {
        var byPath: [DiskPath: ScannedEntry] = [:]
        var byInode: [InodeKey: [ScannedEntry]] = [:]
        for entry in snapshot.entries {
            byPath[DiskPath(entry.path)] = entry
            byInode[InodeKey(entry.metadata), default: []].append(entry)
        }
        var states: [EntryID: State] = [:]
        var owners: [DiskPath: EntryID] = [:]
        func claim(_ entry: ScannedEntry, for id: EntryID) {
            states[id] = .present(entry)
            owners[DiskPath(entry.path)] = id
        }
        // Sorted by path so that the rounds, and so the result, do not depend on hash order.
        let ordered = synced.values.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        for entry in ordered {
            if let local = byPath[DiskPath(entry.path)], local.kind.entryKind == entry.kind,
                entry.local.isSameInode(as: local.metadata)
            {
                claim(local, for: entry.id)
            }
        }
        for entry in ordered where states[entry.id] == nil {
            let candidates = byInode[InodeKey(inode: entry.local.inode, device: entry.local.device)] ?? []
            let moved = candidates.first { local in
                owners[DiskPath(local.path)] == nil && local.kind.entryKind == entry.kind
                    && (entry.kind != .file || (local.metadata.size == entry.local.size
                        && local.metadata.modificationTime == entry.local.modificationTime))
            }
            if let moved { claim(moved, for: entry.id) }
        }
        for entry in ordered where states[entry.id] == nil {
            if let local = byPath[DiskPath(entry.path)], owners[DiskPath(local.path)] == nil, local.kind.entryKind == entry.kind {
                claim(local, for: entry.id)
            }
        }
        let protected = Set(snapshot.skipped.map(\.rawPath))
        for entry in ordered where states[entry.id] == nil {
            states[entry.id] = Self.isUnknown(entry, protected: protected, rules: snapshot.ignoreRules) ? .unknown : .missing
        }
        self.states = states
        self.owners = owners
    }

    /// True when the scan skipped the path or a folder above it, or the rules ignore it now.
    private static func isUnknown(_ entry: SyncedEntry, protected: Set<[UInt8]>, rules: IgnoreRules) -> Bool {
        if rules.isIgnored(entry.path, isFolder: entry.kind == .folder) { return true }
        var path = Array(entry.path.utf8)
        while true {
            if protected.contains(path) { return true }
            guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return false }
            path.removeSubrange(slash...)
        }
    }

    /// The state of synced entry `id` (`.missing` for an id not synced).
    func state(of id: EntryID) -> State { states[id] ?? .missing }
}

/// An on-disk path compared byte for byte: String's `==` takes an NFC and an NFD spelling
/// for one name, but on Linux they are two files.
struct DiskPath: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ path: String) {
        bytes = Array(path.utf8)
    }

    init(_ path: LocalPath) {
        self.init(path.onDisk)
    }
}

/// An inode on a file system.
private struct InodeKey: Hashable {
    let inode: UInt64
    let device: UInt64

    init(inode: UInt64, device: UInt64) {
        self.inode = inode
        self.device = device
    }

    init(_ metadata: FileMetadata) {
        self.init(inode: metadata.inode, device: metadata.device)
    }
}

extension ScannedEntry.Kind {
    /// The wire kind of a scanned entry.
    var entryKind: EntryKind {
        switch self {
        case .file: return .file
        case .folder: return .folder
        case .symlink: return .symlink
        }
    }
}

extension ScannedEntry {
    /// The symlink target, for a symlink.
    var symlinkTarget: String? {
        if case .symlink(let target) = kind { return target }
        return nil
    }

    /// Whether the content differs from what `synced` agreed: a file's inode, size or mtime,
    /// a symlink's target.
    func hasContentChanged(since synced: SyncedEntry) -> Bool {
        switch kind {
        case .file: return !synced.local.hasSameContent(as: metadata)
        case .folder: return false
        case .symlink(let target): return target != synced.attributes.symlinkTarget
        }
    }

    /// Whether a file's permission bits differ from what `synced` agreed (folders' and
    /// symlinks' modes are not synced after creation).
    func hasModeChanged(since synced: SyncedEntry) -> Bool {
        kind == .file && metadata.mode & 0o777 != synced.local.mode
    }
}
