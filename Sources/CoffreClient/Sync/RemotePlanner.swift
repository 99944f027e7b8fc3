import CoffreProtocol

/// What to do on this side about one remote change.
struct RemoteApplication: Sendable {
    /// What becomes of the local content at the (possibly new) path.
    enum Content: Sendable, Equatable {
        /// Nothing: only the place (or nothing local) changes.
        case keep
        /// Download the remote version over the unchanged local file.
        case download
        /// Replace the unchanged local symlink with the remote target.
        case replaceSymlink
        /// Set the remote mode and mtime on the unchanged local file.
        case setAttributes
        /// Both sides changed the content: keep both unless they are equal (the local copy
        /// gets a conflict name; the remote version takes the path).
        case conflict
    }

    enum Action: Sendable {
        /// Nothing is here: create the entry at `path` (folder, symlink or download).
        case create(path: LocalPath)
        /// An entry this side does not follow yet is at `path`: the same content is adopted,
        /// anything else is moved aside under a conflict name.
        case merge(path: LocalPath, local: ScannedEntry)
        /// A synced entry that is on disk: move it to `path` if it is elsewhere, then `content`.
        case update(local: ScannedEntry, path: LocalPath, content: Content)
        /// The remote state changes nothing here (a deleted entry whose rev moved): agree on it,
        /// so the local deletion is committed against the new rev.
        case accept
        /// Remote tombstone, local entry unchanged: remove it here (a folder only once empty;
        /// one that keeps entries is brought back instead).
        case remove(local: ScannedEntry)
        /// Remote tombstone, local entry changed: the change survives (edit beats delete); the
        /// next commit brings the entry back.
        case resurrect
        /// Deleted on both sides: forget it.
        case forget
        /// A tombstone of an entry this side never had.
        case markApplied
        /// Not this pass: reported with the reason (or silently, for nil: ignored paths,
        /// changes that wait for another one).
        case skip(SyncSkip.Reason?, path: String)
    }

    let remote: RemoteEntry
    let synced: SyncedEntry?
    let action: Action
    /// Where the entry ends up (or is, for removals), for ordering: parents first, removals
    /// deepest first.
    let depth: Int
}

/// Decides, for each remote change, what this side does (DESIGN §8 rules; docs/sync-client.md,
/// "Rules"): compares the remote state with the synced state and the local one per entry id.
/// Pure: it reads the three trees and changes nothing.
struct RemotePlanner {
    let dirty: [EntryID: RemoteEntry]
    let synced: [EntryID: SyncedEntry]
    let match: LocalMatch
    let snapshot: LocalSnapshot
    private let byPath: [DiskPath: ScannedEntry]
    /// By NFC path: String keys compare in canonical equivalence, so an NFD spelling on disk
    /// finds the NFC name the vault uses.
    private let byNormalizedPath: [String: ScannedEntry]

    init(dirty: [RemoteEntry], synced: [EntryID: SyncedEntry], match: LocalMatch, snapshot: LocalSnapshot) {
        self.dirty = Dictionary(dirty.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        self.synced = synced
        self.match = match
        self.snapshot = snapshot
        byPath = Dictionary(snapshot.entries.map { (DiskPath($0.path), $0) }, uniquingKeysWith: { first, _ in first })
        byNormalizedPath = Dictionary(snapshot.entries.map { ($0.path.normalized, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The applications, in the order to run them: creations, moves and updates parents
    /// first, then removals deepest first.
    func plan() -> [RemoteApplication] {
        var targets: [EntryID: TargetResult] = [:]
        var applications = dirty.values.map { application(for: $0, targets: &targets) }
        applications.sort { a, b in
            let aRemoval = Self.isRemoval(a.action), bRemoval = Self.isRemoval(b.action)
            if aRemoval != bRemoval { return !aRemoval }
            if a.depth != b.depth { return aRemoval ? a.depth > b.depth : a.depth < b.depth }
            return a.remote.id < b.remote.id
        }
        return applications
    }

    private static func isRemoval(_ action: RemoteApplication.Action) -> Bool {
        switch action {
        case .remove, .resurrect, .forget, .markApplied: return true
        default: return false
        }
    }

    private func application(for remote: RemoteEntry, targets: inout [EntryID: TargetResult]) -> RemoteApplication {
        let synced = synced[remote.id]
        func make(_ action: RemoteApplication.Action, depth: Int) -> RemoteApplication {
            RemoteApplication(remote: remote, synced: synced, action: action, depth: depth)
        }
        if remote.deleted { return make(deletion(remote, synced), depth: synced.map { Self.depth(of: $0.path) } ?? 0) }
        guard let attributes = remote.attributes else {
            return make(.skip(.recordUnreadable, path: synced?.path ?? attributesPathPlaceholder), depth: 0)
        }
        let path: LocalPath
        switch target(of: remote, targets: &targets) {
        case .path(let found): path = found
        case .unavailable(let reason): return make(.skip(reason, path: synced?.path ?? attributes.name), depth: 0)
        }
        let depth = Self.depth(of: path.onDisk)
        if snapshot.ignoreRules.isIgnored(path.onDisk, isFolder: remote.kind == .folder) {
            return make(.skip(nil, path: path.onDisk), depth: depth)
        }
        guard let synced else { return make(creation(at: path), depth: depth) }
        switch match.state(of: synced.id) {
        case .unknown:
            return make(.skip(nil, path: synced.path), depth: depth)
        case .missing:
            // Deleted here, changed there: the change wins; unchanged there: agree on the new
            // rev and let this side's deletion be committed.
            let changed = !attributes.hasSameContent(as: synced.attributes) || remote.parentID != synced.parentID
                || attributes.name != synced.attributes.name || attributes.mode != synced.attributes.mode
                || attributes.modificationTime != synced.attributes.modificationTime
            return make(changed ? creation(at: path) : .accept, depth: depth)
        case .present(let local):
            let moved = remote.parentID != synced.parentID || attributes.name != synced.attributes.name
            let destination = moved ? path : local.path
            return make(.update(local: local, path: destination, content: content(remote, attributes, synced, local)), depth: depth)
        }
    }

    /// A placeholder shown for a remote entry whose record cannot be read and that this side
    /// never had: its name is not known.
    private var attributesPathPlaceholder: String { "(unreadable entry)" }

    private func content(
        _ remote: RemoteEntry, _ attributes: EntryAttributes, _ synced: SyncedEntry, _ local: ScannedEntry
    ) -> RemoteApplication.Content {
        let localContent = local.hasContentChanged(since: synced)
        switch remote.kind {
        case .folder:
            return .keep
        case .symlink:
            guard attributes.symlinkTarget != synced.attributes.symlinkTarget else { return .keep }
            return localContent ? .conflict : .replaceSymlink
        case .file:
            if !attributes.hasSameContent(as: synced.attributes) { return localContent ? .conflict : .download }
            let attributesChanged = attributes.mode != synced.attributes.mode
                || attributes.modificationTime != synced.attributes.modificationTime
            return attributesChanged && !localContent && !local.hasModeChanged(since: synced) ? .setAttributes : .keep
        }
    }

    /// Creation at `path`, or a merge with what this side already has there (by on-disk name,
    /// or by the NFC form of it: a name decomposed on disk is the same name).
    private func creation(at path: LocalPath) -> RemoteApplication.Action {
        guard let occupant = byPath[DiskPath(path)] ?? byNormalizedPath[path.normalized] else { return .create(path: path) }
        if match.owners[DiskPath(occupant.path)] != nil {
            // A synced entry holds the name; it moves or goes first, or keeps it: retry later.
            return .skip(nil, path: path.onDisk)
        }
        return .merge(path: occupant.path, local: occupant)
    }

    private func deletion(_ remote: RemoteEntry, _ synced: SyncedEntry?) -> RemoteApplication.Action {
        guard let synced else { return .markApplied }
        switch match.state(of: synced.id) {
        case .unknown:
            return .skip(nil, path: synced.path)
        case .missing:
            return .forget
        case .present(let local):
            let changed = local.hasContentChanged(since: synced) || local.hasModeChanged(since: synced)
                || local.path.onDisk != synced.path
            return changed ? .resurrect : .remove(local: local)
        }
    }

    // MARK: Target paths

    private enum TargetResult {
        case path(LocalPath)
        case unavailable(SyncSkip.Reason)
    }

    /// Where a remote entry belongs on disk: its parent's place (the parent's own target when
    /// it changes too, else its synced path) and its name, which must be a valid local name.
    private func target(of remote: RemoteEntry, targets: inout [EntryID: TargetResult], depth: Int = 0) -> TargetResult {
        if let known = targets[remote.id] { return known }
        let result = computeTarget(of: remote, targets: &targets, depth: depth)
        targets[remote.id] = result
        return result
    }

    private func computeTarget(of remote: RemoteEntry, targets: inout [EntryID: TargetResult], depth: Int) -> TargetResult {
        // A chain longer than any path can be (4095 bytes) is a loop a hostile server made.
        guard depth < LocalPath.maximumByteCount / 2, let attributes = remote.attributes else { return .unavailable(.parentUnavailable) }
        let name = attributes.name
        guard name.utf8.count <= LocalPath.maximumComponentByteCount, ReservedNames.kind(of: name.utf8) == nil,
            name != ReservedNames.stateFolder
        else { return .unavailable(.nameNotUsable) }
        var folder = ""
        if !remote.parentID.isRoot {
            if let parent = dirty[remote.parentID], !parent.deleted, parent.kind == .folder {
                guard case .path(let parentPath) = target(of: parent, targets: &targets, depth: depth + 1) else {
                    return .unavailable(.parentUnavailable)
                }
                folder = parentPath.onDisk
            } else if let parent = synced[remote.parentID], parent.kind == .folder, !parent.remoteDeleted {
                folder = parent.path
            } else {
                return .unavailable(.parentUnavailable)
            }
        }
        guard let path = try? LocalPath(folder.isEmpty ? name : folder + "/" + name) else { return .unavailable(.nameNotUsable) }
        return .path(path)
    }

    /// Number of components of an on-disk path.
    static func depth(of path: String) -> Int {
        path.utf8.reduce(1) { $0 + ($1 == UInt8(ascii: "/") ? 1 : 0) }
    }
}
