import CoffreProtocol
import SQLiteStore

/// Decides, inside the commit's write transaction and before anything is written, whether a
/// batch of entry changes may land (DESIGN §7), and lists each entry that stops it with the first
/// rule it breaks. The rules, in the order checked:
///
/// 1. compare-and-swap: `baseRev` 0 needs a new entry, any other `baseRev` the entry's `rev`;
///    the kind cannot change;
/// 2. the parent of every live entry is the root or a live folder, after the batch;
/// 3. a live entry's name tag is unique among the live children of its parent, after the batch
///    (so two entries may swap names in one commit);
/// 4. a folder deleted by the batch keeps no live child;
/// 5. no live entry ends up under itself;
/// 6. every referenced blob is in the vault, or carried by the commit (recorded in the same
///    transaction when the commit lands, `SyncStore.commit(_:user:_:carrying:inline:quota:)`).
///
/// "After the batch" means the state of each entry is its change when the batch has one, and
/// the stored state otherwise. The stored tree has no cycle and no orphan (these checks keep it
/// so), which bounds every walk up the tree.
final class CommitValidator {
    private struct FinalState {
        var parent: EntryID
        var kind: EntryKind
        var deleted: Bool
    }

    private struct NameKey: Hashable {
        var parent: EntryID
        var tag: NameTag
    }

    private let db: Connection
    private let vault: Int64
    private let changes: [EntryChange]
    private let carried: Set<BlobID>
    private let indexByEntry: [EntryID: Int]
    /// Stored states read so far; `.some(nil)` records that an entry does not exist.
    private var stored: [EntryID: StoredEntry?] = [:]
    private var found: [Int: CommitConflict] = [:]

    /// The three per-entry statements, checked out of the connection's statement cache
    /// (`Connection.withStatement`) for one `conflicts()` call: parsed once per connection,
    /// looked up once per commit, stepped once per entry that needs them.
    private struct Statements {
        let lookup: Statement
        let siblingsNamed: Statement
        let liveChildren: Statement
    }

    /// Set only while `conflicts()` runs.
    private var statements: Statements?
    // The unique (vault, entry_id) index, then the partial index of live children
    // (https://sqlite.org/partialindex.html).
    private static let lookupSQL = "SELECT \(StoredEntry.columns) FROM entries WHERE vault = ? AND entry_id = ?"
    private static let siblingsNamedSQL =
        "SELECT entry_id FROM entries WHERE vault = ? AND parent_id = ? AND name_tag = ? AND deleted = 0"
    private static let liveChildrenSQL =
        "SELECT entry_id FROM entries WHERE vault = ? AND parent_id = ? AND deleted = 0 LIMIT ?"
    private static let preloadSQL =
        PackedIDs.cte(width: EntryID.byteCount) + " SELECT e.entry_id, \(StoredEntry.qualifiedColumns)"
        + " FROM ids JOIN entries e ON e.vault = ?2 AND e.entry_id = ids.id"

    /// The checks of `changes` (ids unique, already checked) in vault row `vault`, the
    /// blobs `carried` counting as held.
    init(db: Connection, vault: Int64, changes: [EntryChange], carried: Set<BlobID> = []) throws {
        self.db = db
        self.vault = vault
        self.changes = changes
        self.carried = carried
        var index: [EntryID: Int] = [:]
        index.reserveCapacity(changes.count)
        for (offset, change) in changes.enumerated() { index[change.entryId] = offset }
        self.indexByEntry = index
    }

    /// Every conflict, in request order; empty when the batch may land.
    func conflicts() throws -> [CommitConflict] {
        try db.withStatement(Self.lookupSQL) { lookup in
            try db.withStatement(Self.siblingsNamedSQL) { siblingsNamed in
                try db.withStatement(Self.liveChildrenSQL) { liveChildren in
                    statements = Statements(lookup: lookup, siblingsNamed: siblingsNamed, liveChildren: liveChildren)
                    defer { statements = nil }
                    return try checkAll()
                }
            }
        }
    }

    private func checkAll() throws -> [CommitConflict] {
        // Two set-based reads fetch the stored state of every entry of the batch and of every
        // parent outside it; only walks further up the tree look entries up one by one.
        try preload(changes.map(\.entryId))
        try preload(changes.map(\.parentId).filter { !$0.isRoot && indexByEntry[$0] == nil })
        try checkRevisions()
        try checkParents()
        try checkNames()
        try checkEmptiedFolders()
        try checkCycles()
        try checkBlobs()
        return found.keys.sorted().compactMap { found[$0] }
    }

    // MARK: - Rules

    private func checkRevisions() throws {
        for (offset, change) in changes.enumerated() {
            let current = try storedState(change.entryId)
            switch (change.baseRev, current) {
            case (0, nil):
                continue
            case (0, .some):
                report(offset, .alreadyExists)
            case (_, nil):
                report(offset, .notFound)
            case (let base, .some(let current)) where current.rev != base:
                report(offset, .staleRev)
            case (_, .some(let current)) where current.kind != change.kind:
                report(offset, .kindChanged)
            default:
                continue
            }
        }
    }

    private func checkParents() throws {
        for (offset, change) in changes.enumerated() where !change.deleted && !change.parentId.isRoot {
            guard let parent = try finalState(change.parentId) else {
                report(offset, .parentMissing, other: change.parentId)
                continue
            }
            if parent.deleted {
                report(offset, .parentDeleted, other: change.parentId)
            } else if parent.kind != .folder {
                report(offset, .parentNotFolder, other: change.parentId)
            }
        }
    }

    private func checkNames() throws {
        var claimed: [NameKey: EntryID] = [:]
        for (offset, change) in changes.enumerated() where !change.deleted {
            let key = NameKey(parent: change.parentId, tag: change.nameTag)
            if let first = claimed[key] {
                report(offset, .nameTaken, other: first)
                continue
            }
            claimed[key] = change.entryId
            // An entry that keeps its live place cannot collide with a stored sibling: the
            // stored tree has unique names. Nor can one in a folder this batch creates: such a
            // folder has no stored children. Entries of the batch are judged by their new state.
            if let current = try storedState(change.entryId), !current.deleted,
                current.parent == change.parentId, current.nameTag == change.nameTag
            {
                continue
            }
            if !change.parentId.isRoot, indexByEntry[change.parentId] != nil, try storedState(change.parentId) == nil {
                continue
            }
            let holders = try run(\.siblingsNamed) { statement in
                try statement.bind(change.parentId, at: 2)
                try statement.bind(change.nameTag.bytes, at: 3)
            } map: { row in
                try row.identifier(at: 0) as EntryID
            }
            if let holder = holders.first(where: { $0 != change.entryId && indexByEntry[$0] == nil }) {
                report(offset, .nameTaken, other: holder)
            }
        }
    }

    private func checkEmptiedFolders() throws {
        for (offset, change) in changes.enumerated() where change.deleted && change.kind == .folder {
            guard let current = try storedState(change.entryId), !current.deleted else { continue }
            // Children in the batch are judged by their new state (rule 2 reports one that stays),
            // so one stored child outside the batch is enough: look at most one past the batch size.
            let children = try run(\.liveChildren) { statement in
                try statement.bind(change.entryId, at: 2)
                try statement.bind(Int64(changes.count + 1), at: 3)
            } map: { row in
                try row.identifier(at: 0) as EntryID
            }
            if let child = children.first(where: { indexByEntry[$0] == nil }) {
                report(offset, .folderNotEmpty, other: child)
            }
        }
    }

    private func checkCycles() throws {
        // Entries known to reach the root after the batch; each walk stops at the first one.
        var grounded: Set<EntryID> = []
        for (offset, change) in changes.enumerated() where !change.deleted {
            var path: [EntryID] = [change.entryId]
            var seen: Set<EntryID> = [change.entryId]
            var node = change.parentId
            var reachesRoot = true
            while !node.isRoot && !grounded.contains(node) {
                guard seen.insert(node).inserted else {
                    report(offset, .cycle, other: change.parentId)
                    reachesRoot = false
                    break
                }
                path.append(node)
                // A missing or deleted ancestor is rule 2's business; the walk just stops.
                guard let state = try finalState(node), !state.deleted else {
                    reachesRoot = false
                    break
                }
                node = state.parent
            }
            if reachesRoot { grounded.formUnion(path) }
        }
    }

    private func checkBlobs() throws {
        var referenced = changes.flatMap(\.blobs)
        // Most commits carry nothing: the big ones then pay no lookup per blob.
        if !carried.isEmpty { referenced.removeAll { carried.contains($0) } }
        guard !referenced.isEmpty else { return }
        let missing = try SyncStore.missing(db, vault: vault, ids: referenced)
        guard !missing.isEmpty else { return }
        for (offset, change) in changes.enumerated() {
            var seen = Set<BlobID>()
            let absent = change.blobs.filter { missing.contains($0) && seen.insert($0).inserted }
            if !absent.isEmpty { report(offset, .missingBlobs, missing: absent) }
        }
    }

    // MARK: - State

    /// Records a conflict unless the entry already has one: each entry reports its first rule.
    private func report(_ offset: Int, _ reason: ConflictReason, other: EntryID? = nil, missing: [BlobID]? = nil) {
        guard found[offset] == nil else { return }
        let change = changes[offset]
        let current = stored[change.entryId].flatMap { $0 }
        found[offset] = CommitConflict(
            entryId: change.entryId, reason: reason, current: current?.header, otherEntryId: other,
            missingBlobs: missing)
    }

    /// The state of `id` after the batch: its change if the batch has one, else the stored state.
    private func finalState(_ id: EntryID) throws -> FinalState? {
        if let offset = indexByEntry[id] {
            let change = changes[offset]
            return FinalState(parent: change.parentId, kind: change.kind, deleted: change.deleted)
        }
        return try storedState(id).map { FinalState(parent: $0.parent, kind: $0.kind, deleted: $0.deleted) }
    }

    /// Reads the stored states of `ids` not read yet with one statement (`PackedIDs`).
    private func preload(_ ids: [EntryID]) throws {
        let unknown = Array(Set(ids.filter { stored[$0] == nil }))
        guard !unknown.isEmpty else { return }
        for id in unknown { stored[id] = .some(nil) }
        let packed = PackedIDs.pack(unknown, width: EntryID.byteCount) { id, bytes in
            id.withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        try db.query(Self.preloadSQL, [packed, vault]) { row in
            stored[try row.identifier(at: 0) as EntryID] = .some(try StoredEntry.read(from: row, startingAt: 1))
        }
    }

    /// The stored state of `id`, read once per commit.
    private func storedState(_ id: EntryID) throws -> StoredEntry? {
        if let known = stored[id] { return known }
        let state = try run(\.lookup) { statement in
            try statement.bind(id, at: 2)
        } map: { row in
            try StoredEntry.read(from: row)
        }.first
        stored[id] = .some(state)
        return state
    }

    /// Runs one of the checked-out statements: the vault row is parameter 1, `bind` sets the others.
    private func run<T>(
        _ which: KeyPath<Statements, Statement>, bind: (Statement) throws -> Void, map: (Row) throws -> T
    ) throws -> [T] {
        guard let statement = statements?[keyPath: which] else {
            throw SyncError.internalFailure("a commit check ran outside conflicts()")
        }
        statement.reset()
        try statement.bind(vault, at: 1)
        try bind(statement)
        var results: [T] = []
        try statement.forEachRow { row in results.append(try map(row)) }
        return results
    }
}
