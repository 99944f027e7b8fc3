import CoffreProtocol
import CoffreCrypto

/// One local change to commit.
struct LocalChange: Sendable {
    enum Action: Sendable, Equatable {
        /// A new entry (base rev 0).
        case create
        /// A synced entry moved, renamed, edited, chmodded, or brought back after a remote
        /// deletion (base rev: the synced rev).
        case update
        /// A synced entry deleted here (a tombstone).
        case delete
    }

    let action: Action
    let id: EntryID
    let kind: EntryKind
    let parentID: EntryID
    /// The name in its folder, NFC.
    let name: String
    /// The entry on disk (nil for a deletion).
    let local: ScannedEntry?
    /// The agreed state it changes (nil for a creation).
    let synced: SyncedEntry?
    /// The file's bytes must be read and sealed (new or edited content).
    let sealsContent: Bool

    var baseRev: Int64 { synced?.rev ?? 0 }
}

/// What the local side changed since the synced tree (DESIGN §8), as commits to make: every
/// scan item is a synced entry (by `LocalMatch`) or a new one, and its wanted remote state —
/// folder, name, content, mode — is compared with the agreed one. Pure.
///
/// Order: creations and updates in scan order (a folder before what it holds, so a new
/// folder is created before its contents, in the same commit or an earlier one), then
/// deletions deepest first (a folder's contents go before it, as the server requires).
/// Entries with a remote change not applied yet wait for the next round. Two entries of one
/// folder whose names are equal in NFC cannot both be synced: the later one is skipped.
struct LocalPlanner {
    let snapshot: LocalSnapshot
    let synced: [EntryID: SyncedEntry]
    let match: LocalMatch
    /// Entries whose remote state is not applied yet.
    let waiting: Set<EntryID>

    struct Plan: Sendable {
        var changes: [LocalChange] = []
        var skipped: [SyncSkip] = []
        /// Deleted here and there: nothing to commit, only to forget.
        var forgotten: [EntryID] = []
    }

    func plan() -> Plan {
        var plan = Plan()
        var ids: [DiskPath: EntryID] = [:]
        var names: [NameKey: DiskPath] = [:]
        // Entries that keep their name and folder hold it first, so a newcomer colliding with
        // them in NFC is the one skipped.
        for entry in snapshot.entries {
            guard let id = match.owners[DiskPath(entry.path)], let synced = synced[id] else { continue }
            ids[DiskPath(entry.path)] = id
            if let parent = parentID(of: entry, ids: ids), parent == synced.parentID, name(of: entry) == synced.attributes.name {
                names[NameKey(parent: parent, name: synced.attributes.name)] = DiskPath(entry.path)
            }
        }
        for entry in snapshot.entries {
            let path = DiskPath(entry.path)
            let existing = match.owners[path]
            guard let parent = parentID(of: entry, ids: ids) else {
                ids[path] = nil
                continue
            }
            let name = name(of: entry)
            let key = NameKey(parent: parent, name: name)
            if let holder = names[key], holder != path {
                plan.skipped.append(SyncSkip(path: entry.path.onDisk, reason: .nameCollision))
                ids[path] = nil
                continue
            }
            names[key] = path
            guard let id = existing, let synced = synced[id] else {
                let id = Self.newEntryID()
                ids[path] = id
                plan.changes.append(LocalChange(
                    action: .create, id: id, kind: entry.kind.entryKind, parentID: parent, name: name, local: entry,
                    synced: nil, sealsContent: entry.kind == .file))
                continue
            }
            guard !waiting.contains(id) else { continue }
            let content = entry.hasContentChanged(since: synced)
            let changed = content || parent != synced.parentID || name != synced.attributes.name
                || entry.hasModeChanged(since: synced) || synced.remoteDeleted
            if changed {
                plan.changes.append(LocalChange(
                    action: .update, id: id, kind: synced.kind, parentID: parent, name: name, local: entry, synced: synced,
                    sealsContent: content && synced.kind == .file))
            }
        }
        var deletions: [SyncedEntry] = []
        for entry in synced.values where match.state(of: entry.id) == .missing && !waiting.contains(entry.id) {
            if entry.remoteDeleted {
                plan.forgotten.append(entry.id)
            } else {
                deletions.append(entry)
            }
        }
        deletions.sort { a, b in
            let (depthA, depthB) = (RemotePlanner.depth(of: a.path), RemotePlanner.depth(of: b.path))
            return depthA != depthB ? depthA > depthB : a.path.utf8.lexicographicallyPrecedes(b.path.utf8)
        }
        plan.changes += deletions.map { entry in
            LocalChange(
                action: .delete, id: entry.id, kind: entry.kind, parentID: entry.parentID, name: entry.attributes.name,
                local: nil, synced: entry, sealsContent: false)
        }
        return plan
    }

    /// The entry id of the folder holding `entry`: the root, or the folder's id (synced or
    /// new); nil when that folder is not synced (it was skipped).
    private func parentID(of entry: ScannedEntry, ids: [DiskPath: EntryID]) -> EntryID? {
        guard let folder = entry.path.parent else { return .root }
        return ids[DiskPath(folder)]
    }

    private func name(of entry: ScannedEntry) -> String {
        NameEquivalence.nfc(String(entry.path.name))
    }

    /// A random 16-byte id (never the root's sixteen zero bytes).
    static func newEntryID() -> EntryID {
        var id = EntryID.root
        while id.isRoot {
            let bytes = (try? SecureRandom.bytes(count: 16)) ?? (0..<16).map { _ in UInt8.random(in: 0...255) }
            id = EntryID(bytes: bytes) ?? .root
        }
        return id
    }
}

/// A name in a folder.
private struct NameKey: Hashable {
    let parent: EntryID
    let name: String
}
