import CoffreProtocol

/// MKCOL, DELETE, MOVE, COPY and PROPPATCH: metadata-only commits. MOVE keeps the entry (a
/// new parent and name in its record); COPY makes new entries whose records reuse the same
/// manifests, so no content is uploaded again; DELETE commits tombstones.
extension VaultDAVStorage {
    /// Where a resource at `path` goes: its parent folder and what is there now.
    func target(_ path: DAVPath, in tree: VaultTree) throws(DAVError) -> (parent: EntryID, existing: VaultNode?) {
        switch tree.lookup(path) {
        case .root: throw DAVError.forbidden("the vault root cannot be replaced")
        case .noParent: throw DAVError.conflict("no parent collection")
        case .absent(let parent):
            try Self.checkName(path.name)
            return (parent, nil)
        case .entry(let node): return (node.parentID, node)
        }
    }

    public func makeCollection(at path: DAVPath) async throws {
        let (parent, existing) = try target(path, in: snapshot())
        guard existing == nil else { throw DAVError.alreadyExists }
        let record = EntryRecord(kind: .folder, name: path.name, modificationTime: Self.now, mode: 0o755, size: 0)
        let node = try newNode(kind: .folder, parent: parent, record: record, generation: keyring.newest.number)
        try await commit([Edit(node: node, baseRev: 0, blobs: [])])
    }

    public func delete(_ path: DAVPath) async throws {
        let tree = snapshot()
        switch tree.lookup(path) {
        case .root: throw DAVError.forbidden("the vault root cannot be deleted")
        case .absent, .noParent: throw DAVError.notFound
        case .entry(let node): try await commit(tree.subtree(of: node.id).map(tombstone))
        }
    }

    public func move(from source: DAVPath, to destination: DAVPath, overwrite: Bool) async throws -> Bool {
        let tree = snapshot()
        guard case .entry(let node) = tree.lookup(source), node.record != nil else {
            throw source.isRoot ? DAVError.forbidden("the vault root cannot be moved") : DAVError.notFound
        }
        let (parent, existing) = try target(destination, in: tree)
        try Self.checkName(destination.name)
        var edits = try replacing(existing, overwrite: overwrite, in: tree)
        let moved = try placed(node, under: parent, as: destination.name)
        edits.append(Edit(node: moved, baseRev: node.rev, blobs: try await blobIDs(of: node)))
        try await commit(edits)
        return existing != nil
    }

    public func copy(from source: DAVPath, to destination: DAVPath, overwrite: Bool, recursive: Bool) async throws -> Bool {
        let tree = snapshot()
        let root: VaultNode
        switch tree.lookup(source) {
        case .entry(let node) where node.record != nil: root = node
        case .root: throw DAVError.forbidden("the vault root cannot be copied")
        default: throw DAVError.notFound
        }
        let (parent, existing) = try target(destination, in: tree)
        try Self.checkName(destination.name)
        var edits = try replacing(existing, overwrite: overwrite, in: tree)
        // Folders before their members: each copy's parent exists when it is committed.
        var pending: [(node: VaultNode, parent: EntryID, name: String)] = [(root, parent, destination.name)]
        while !pending.isEmpty {
            let (original, newParent, name) = pending.removeFirst()
            guard var record = original.record else { continue }
            record.name = name
            let copy = try newNode(kind: original.kind, parent: newParent, record: record, generation: original.generation)
            edits.append(Edit(node: copy, baseRev: 0, blobs: try await blobIDs(of: original)))
            if original.kind == .folder && recursive {
                pending += tree.members(of: original.id).map { ($0.node, copy.id, $0.name) }
            }
        }
        try await commit(edits)
        return existing != nil
    }

    /// The tombstones that clear `existing` out of the way, or `.alreadyExists` when it may
    /// not be replaced (RFC 4918 §10.6, Overwrite: F).
    private func replacing(_ existing: VaultNode?, overwrite: Bool, in tree: VaultTree) throws(DAVError) -> [Edit] {
        guard let existing else { return [] }
        guard overwrite else { throw DAVError.alreadyExists }
        return tree.subtree(of: existing.id).map(tombstone)
    }

    public func updateProperties(of path: DAVPath, _ changes: [DAVPropertyChange]) async throws {
        let node: VaultNode
        switch snapshot().lookup(path) {
        case .entry(let found) where found.record != nil: node = found
        case .root: throw DAVError.forbidden("the vault root has no record to keep properties in")
        default: throw DAVError.notFound
        }
        var changed = node
        let properties = try DAVPropertyLimits.applying(changes, to: try Self.properties(of: node.record!))
        let encoded = properties.isEmpty ? [] : DirectoryDAVStorage.encode(properties)
        // The record's field is bounded (docs/format.md): 507 for the whole PROPPATCH (RFC 4918 §9.2.1).
        guard encoded.count <= EntryRecord.maximumDeadPropertiesByteCount else {
            throw DAVError.insufficientStorage("properties too large for a vault record")
        }
        changed.record!.deadProperties = encoded
        try await commit([Edit(node: changed, baseRev: node.rev, blobs: try await blobIDs(of: node))])
    }
}
