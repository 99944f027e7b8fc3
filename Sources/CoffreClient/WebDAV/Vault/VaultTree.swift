import CoffreProtocol

/// The vault's tree in memory: every entry by id (tombstones kept, so an older state arriving
/// late cannot resurrect an entry), the served entries by parent and name, and the feed cursor.
/// A value type: a request copies it once (copy on write) and sees one consistent snapshot.
struct VaultTree: Sendable {
    private(set) var nodes: [EntryID: VaultNode] = [:]
    private var children: [EntryID: [String: EntryID]] = [:]
    /// The changes feed has been read up to this seq.
    private(set) var cursor: Int64 = 0

    /// Applies `node` unless the tree already holds the same entry at this or a newer rev.
    mutating func apply(_ node: VaultNode) {
        if let old = nodes[node.id] {
            guard node.rev > old.rev else { return }
            unlink(old)
        }
        nodes[node.id] = node
        if node.isServed, let name = node.record?.name {
            children[node.parentID, default: [:]][name] = node.id
        }
    }

    /// Records that the feed was read up to `seq`.
    mutating func advance(to seq: Int64) {
        cursor = max(cursor, seq)
    }

    private mutating func unlink(_ node: VaultNode) {
        guard let name = node.record?.name, children[node.parentID]?[name] == node.id else { return }
        children[node.parentID]?[name] = nil
        if children[node.parentID]?.isEmpty == true { children[node.parentID] = nil }
    }

    /// The served entry at `path`; `.root` stands for the root folder (nil node).
    func lookup(_ path: DAVPath) -> Lookup {
        var current = EntryID.root
        var node: VaultNode?
        for (index, name) in path.names.enumerated() {
            guard let id = children[current]?[name], let child = nodes[id] else {
                return index == path.names.count - 1 && (node == nil || node?.kind == .folder) ? .absent(parent: current) : .noParent
            }
            if index < path.names.count - 1 && child.kind != .folder { return .noParent }
            node = child
            current = id
        }
        return node.map(Lookup.entry) ?? .root
    }

    /// What a path names.
    enum Lookup {
        case root
        case entry(VaultNode)
        /// Nothing, in an existing folder (`parent`).
        case absent(parent: EntryID)
        /// Nothing, and the parent is missing or not a folder.
        case noParent
    }

    /// The served members of the folder `id`, by name. The (name, id) pairs are sorted and the
    /// nodes looked up after: sorting the nodes themselves moved every large `VaultNode` value
    /// about log n times (15 % of a 2,000-member PROPFIND, docs/performance.md "WebDAV gateway").
    func members(of id: EntryID) -> [(name: String, node: VaultNode)] {
        (children[id] ?? [:]).sorted { $0.key < $1.key }.compactMap { name, child in nodes[child].map { (name, $0) } }
    }

    /// `id` and every served entry below it, children before their folder (the order a
    /// recursive delete commits in, RFC 4918 §9.6.1).
    func subtree(of id: EntryID) -> [VaultNode] {
        var result: [VaultNode] = []
        for (_, member) in members(of: id) {
            if member.kind == .folder { result += subtree(of: member.id) } else { result.append(member) }
        }
        if let node = nodes[id] { result.append(node) }
        return result
    }

    /// Whether `ancestor` is `id` or one of its folders up to the root.
    func isAncestor(_ ancestor: EntryID, of id: EntryID) -> Bool {
        var current = id
        var steps = 0
        while steps <= nodes.count {
            if current == ancestor { return true }
            guard !current.isRoot, let node = nodes[current] else { return false }
            current = node.parentID
            steps += 1
        }
        return false
    }
}
