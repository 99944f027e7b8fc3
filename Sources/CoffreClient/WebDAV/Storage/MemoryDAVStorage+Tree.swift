/// The tree operations behind `MemoryDAVStorage`, all called with its lock held.
extension MemoryDAVStorage {
    static func info(_ path: DAVPath, _ node: Node, _ withProperties: Bool) -> DAVResourceInfo {
        DAVResourceInfo(
            path: path, isCollection: node.isCollection, contentLength: Int64(node.content.count), contentType: node.contentType,
            etag: node.etag, lastModified: node.modified, creationDate: node.created,
            deadProperties: withProperties ? node.properties : nil)
    }

    /// RFC 4918 §9.7.1: a resource can only be created inside an existing collection (409).
    static func checkParent(of path: DAVPath, _ state: State) throws(DAVError) {
        guard let parent = path.parent else { throw .forbidden("the root cannot be replaced") }
        guard let node = state.nodes[parent], node.isCollection else { throw .conflict("parent collection missing") }
    }

    /// The node a write at `path` replaces (nil when it creates one), after checking the
    /// parent and `condition`.
    @discardableResult
    static func checkWritable(_ path: DAVPath, _ condition: DAVWriteCondition, _ state: State) throws(DAVError) -> Node? {
        try checkParent(of: path, state)
        let existing = state.nodes[path]
        if let existing, existing.isCollection { throw .conflict("a collection cannot be written") }
        guard condition.holds(currentETag: existing?.etag) else { throw .preconditionFailed }
        return existing
    }

    /// `path` and every path below it, parents first.
    static func subtree(_ path: DAVPath, _ state: State) -> [DAVPath] {
        var result: [DAVPath] = []
        var pending = [path]
        while let next = pending.popLast() {
            result.append(next)
            guard let node = state.nodes[next] else { continue }
            for name in node.members { pending.append(next.appending(validated: name)) }
        }
        return result
    }

    /// Removes `path` and everything below it, and its name from the parent.
    static func remove(_ path: DAVPath, from state: inout State) {
        for victim in subtree(path, state) { state.nodes[victim] = nil }
        if let parent = path.parent { state.nodes[parent]?.members.remove(path.name) }
    }

    /// Checks a COPY/MOVE (RFC 4918 §9.8.5, §9.9.4): the source exists, the destination is
    /// not inside the source, its parent exists, and an existing destination is replaced only
    /// with `overwrite` (it is removed here). Returns true when something was removed.
    static func prepareTransfer(_ source: DAVPath, _ destination: DAVPath, overwrite: Bool, _ state: inout State) throws(DAVError) -> Bool {
        guard state.nodes[source] != nil else { throw .notFound }
        guard !source.contains(destination), !destination.contains(source) else { throw .forbidden("source and destination overlap") }
        try checkParent(of: destination, state)
        guard state.nodes[destination] != nil else { return false }
        guard overwrite else { throw .alreadyExists }
        remove(destination, from: &state)
        return true
    }
}
