import Glibc
import Synchronization

/// A `DAVStorage` held in memory, for tests and for trying clients: every resource, its bytes
/// and dead properties live in one `Mutex`-guarded tree, so every operation (conditional
/// writes included) is atomic. Bodies are collected up to `maximumResourceBytes`.
public final class MemoryDAVStorage: DAVStorage {
    struct Node {
        var isCollection: Bool
        var content: [UInt8] = []
        var etag: String
        var modified: Int64
        var created: Int64
        var contentType: String?
        var properties: [DAVPropertyName: DAVPropertyValue] = [:]
        /// Member names of a collection (empty for other resources).
        var members: Set<String> = []
    }

    struct State {
        var nodes: [DAVPath: Node]
        var nextTag: UInt64 = 1

        mutating func makeTag() -> String {
            defer { nextTag += 1 }
            return "m" + String(nextTag, radix: 16)
        }
    }

    /// Largest resource accepted, in bytes.
    public let maximumResourceBytes: Int
    /// Most resources held (collections included).
    public let maximumResourceCount: Int
    let state: Mutex<State>

    /// An empty storage holding only the root collection.
    public init(maximumResourceBytes: Int = 64 << 20, maximumResourceCount: Int = 100_000) {
        self.maximumResourceBytes = maximumResourceBytes
        self.maximumResourceCount = maximumResourceCount
        let now = Int64(time(nil))
        state = Mutex(State(nodes: [.root: Node(isCollection: true, etag: "m0", modified: now, created: now)]))
    }

    public func info(at path: DAVPath, withProperties: Bool) async throws -> DAVResourceInfo? {
        state.withLock { state in state.nodes[path].map { Self.info(path, $0, withProperties) } }
    }

    public func children(of path: DAVPath, withProperties: Bool) async throws -> [DAVResourceInfo] {
        try state.withLock { state throws(DAVError) in
            guard let node = state.nodes[path] else { throw .notFound }
            guard node.isCollection else { throw .conflict("not a collection") }
            return node.members.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.compactMap { name in
                let child = path.appending(validated: name)
                return state.nodes[child].map { Self.info(child, $0, withProperties) }
            }
        }
    }

    public func read(_ path: DAVPath, range: ClosedRange<Int64>?) async throws -> DAVContent {
        let content = try state.withLock { state throws(DAVError) in
            guard let node = state.nodes[path] else { throw .notFound }
            guard !node.isCollection else { throw .conflict("a collection has no content") }
            return node.content
        }
        guard let range else { return .bytes(content) }
        let lower = Int(max(0, min(range.lowerBound, Int64(content.count))))
        let upper = Int(max(Int64(lower), min(range.upperBound + 1, Int64(content.count))))
        return .bytes(Array(content[lower..<upper]))
    }

    public func write<Body: AsyncSequence & Sendable>(
        _ path: DAVPath, body: Body, condition: DAVWriteCondition
    ) async throws -> DAVWriteResult where Body.Element == [UInt8] {
        // Checked before reading (to fail fast) and again at the commit (the atomic check).
        _ = try state.withLock { state throws(DAVError) in try Self.checkWritable(path, condition, state) }
        var content: [UInt8] = []
        for try await chunk in body {
            guard content.count + chunk.count <= maximumResourceBytes else { throw DAVError.insufficientStorage("resource too large") }
            content.append(contentsOf: chunk)
        }
        let now = Int64(time(nil))
        let limit = maximumResourceCount
        return try state.withLock { state throws(DAVError) in
            let existing = try Self.checkWritable(path, condition, state)
            let tag = state.makeTag()
            if var node = existing {
                node.content = content
                node.etag = tag
                node.modified = now
                state.nodes[path] = node
                return DAVWriteResult(etag: tag, created: false)
            }
            guard state.nodes.count < limit else { throw .insufficientStorage("too many resources") }
            state.nodes[path] = Node(
                isCollection: false, content: content, etag: tag, modified: now, created: now, contentType: DAVContentType.forName(path.name))
            state.nodes[path.parent!]!.members.insert(path.name)
            return DAVWriteResult(etag: tag, created: true)
        }
    }

    public func makeCollection(at path: DAVPath) async throws {
        let now = Int64(time(nil))
        let limit = maximumResourceCount
        try state.withLock { state throws(DAVError) in
            guard state.nodes[path] == nil else { throw .alreadyExists }
            try Self.checkParent(of: path, state)
            guard state.nodes.count < limit else { throw .insufficientStorage("too many resources") }
            state.nodes[path] = Node(isCollection: true, etag: state.makeTag(), modified: now, created: now)
            state.nodes[path.parent!]!.members.insert(path.name)
        }
    }

    public func delete(_ path: DAVPath) async throws {
        try state.withLock { state throws(DAVError) in
            guard !path.isRoot else { throw .forbidden("the root cannot be deleted") }
            guard state.nodes[path] != nil else { throw .notFound }
            Self.remove(path, from: &state)
        }
    }

    public func move(from source: DAVPath, to destination: DAVPath, overwrite: Bool) async throws -> Bool {
        try state.withLock { state throws(DAVError) in
            let replaced = try Self.prepareTransfer(source, destination, overwrite: overwrite, &state)
            for path in Self.subtree(source, state) {
                state.nodes[path.rebased(from: source, to: destination)] = state.nodes.removeValue(forKey: path)
            }
            state.nodes[source.parent!]!.members.remove(source.name)
            state.nodes[destination.parent!]!.members.insert(destination.name)
            return replaced
        }
    }

    public func copy(from source: DAVPath, to destination: DAVPath, overwrite: Bool, recursive: Bool) async throws -> Bool {
        let now = Int64(time(nil))
        let limit = maximumResourceCount
        return try state.withLock { state throws(DAVError) in
            guard let sourceNode = state.nodes[source] else { throw .notFound }
            let paths = recursive ? Self.subtree(source, state) : [source]
            let replaced = try Self.prepareTransfer(source, destination, overwrite: overwrite, &state)
            guard state.nodes.count + paths.count <= limit else { throw .insufficientStorage("too many resources") }
            for path in paths {
                var node = state.nodes[path]!
                if path == source && !recursive && sourceNode.isCollection { node.members = [] }
                node.etag = state.makeTag()
                node.created = now
                state.nodes[path.rebased(from: source, to: destination)] = node
            }
            state.nodes[destination.parent!]!.members.insert(destination.name)
            return replaced
        }
    }

    public func updateProperties(of path: DAVPath, _ changes: [DAVPropertyChange]) async throws {
        try state.withLock { state throws(DAVError) in
            guard let node = state.nodes[path] else { throw .notFound }
            state.nodes[path]!.properties = try DAVPropertyLimits.applying(changes, to: node.properties)
        }
    }
}
