import CoffreProtocol
import Foundation
import Synchronization

/// A vault served over WebDAV (`coffre dav`), decrypted on the fly: the tree comes from the
/// vault's changes feed (records opened with the vault key, which lives only in this process),
/// reads fetch and open only the chunks they need, writes seal and upload content and commit
/// with a compare-and-swap on the rev the request saw (docs/webdav.md, "The vault storage").
///
/// The tree is kept current by `startFollowing()` (a long-polled feed in a background task)
/// and by the gateway's own commits; every request works on one snapshot of it.
public final class VaultDAVStorage: DAVStorage {
    /// Bytes of request body queued for the sealer's reader thread at most.
    static let bodyQueueLimit = 1 << 20
    /// Entries per commit when a folder operation is cut into batches (the server takes 10,000).
    static let entriesPerCommit = 5_000
    /// Long-poll wait of the feed follower.
    static let followWait: Duration = .seconds(25)
    /// The follower's pause after a page that brought entries. Every commit ends a waiting
    /// poll, the gateway's own too: polling again at once cost coffred and the gateway one more
    /// exchange per PUT, on the same two cores (docs/performance.md, "WebDAV gateway"). Changes
    /// by other devices show at most this much later; the gateway's own are in the tree at once.
    static let followPause: Duration = .milliseconds(250)

    let remote: any SyncRemote
    let keyring: VaultKeyring
    let sealer: FileSealer
    let cache = VaultChunkCache(capacity: 16 << 20)
    /// Fetch buffers and opening workspaces, reused from chunk to chunk by the reads.
    let opener = VaultChunkOpener()
    let tree = Mutex(VaultTree())
    private let follower = Mutex<Task<Void, Never>?>(nil)
    /// When the gateway started (the root folder's dates: it has no record).
    let startedAt = Int64(Date().timeIntervalSince1970)

    /// Opens the vault `remote` talks to: reads the caller's key grants (each opened by
    /// `openGrant`, which checks who signed it) and the whole changes feed. `workers` is the
    /// number of sealing threads.
    public static func open(
        remote: any SyncRemote, openGrant: @Sendable (WrappedVaultKey) throws -> VaultKey,
        workers: Int = FileSealer.defaultWorkerCount
    ) async throws -> VaultDAVStorage {
        try await open(remote: remote, openGrant: openGrant, chunking: .production, workers: workers)
    }

    /// `open` with chunk sizes of `chunking` (tests use small chunks).
    static func open(
        remote: any SyncRemote, openGrant: @Sendable (WrappedVaultKey) throws -> VaultKey, chunking: ChunkingParameters,
        workers: Int
    ) async throws -> VaultDAVStorage {
        let summary = try await remote.vaultState()
        var keys: [VaultKey] = []
        for grant in try await remote.vaultKeys() {
            // A grant that does not open (not for us, not signed by a known member) is not used.
            if let key = try? openGrant(grant) { keys.append(key) }
        }
        guard keys.contains(where: { Int64($0.generation) == summary.keyGeneration }) else {
            throw SyncClientError.missingVaultKey(generation: summary.keyGeneration)
        }
        let keyring = try VaultKeyring(keys: keys, vaultID: remote.vaultID, parameters: chunking)
        let storage = VaultDAVStorage(remote: remote, keyring: keyring, workers: workers)
        try await storage.refresh()
        return storage
    }

    init(remote: any SyncRemote, keyring: VaultKeyring, workers: Int) {
        self.remote = remote
        self.keyring = keyring
        sealer = FileSealer(chunker: keyring.newest.chunker, cipher: keyring.newest.chunks, workerCount: max(1, workers))
    }

    deinit {
        follower.withLock { $0?.cancel() }
    }

    /// Follows the changes feed in a background task until `stop()`: changes by other
    /// devices appear within one long-poll round trip and `followPause`.
    public func startFollowing() {
        follower.withLock { task in
            guard task == nil else { return }
            task = Task { [weak self] in
                while !Task.isCancelled {
                    guard let self else { return }
                    do {
                        if try await self.pull(wait: Self.followWait) { try await Task.sleep(for: Self.followPause) }
                    } catch {
                        // Server away or refusing: try again shortly (the tree stays as it was).
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
            }
        }
    }

    /// Stops following the feed.
    public func stop() {
        follower.withLock { task in
            task?.cancel()
            task = nil
        }
    }

    /// Reads the feed up to its end now.
    public func refresh() async throws {
        try await pull(wait: nil)
    }

    /// The seq the tree has read the feed up to.
    public var cursor: Int64 { tree.withLock { $0.cursor } }

    /// The tree as it is now: one consistent state for one request.
    func snapshot() -> VaultTree {
        tree.withLock { $0 }
    }

    // MARK: Reading the tree

    public func info(at path: DAVPath, withProperties: Bool) async throws -> DAVResourceInfo? {
        switch snapshot().lookup(path) {
        case .root: return rootInfo(path)
        case .entry(let node): return try Self.info(of: node, at: path, withProperties: withProperties)
        case .absent, .noParent: return nil
        }
    }

    public func children(of path: DAVPath, withProperties: Bool) async throws -> [DAVResourceInfo] {
        let snapshot = snapshot()
        let folder: EntryID
        switch snapshot.lookup(path) {
        case .root: folder = .root
        case .entry(let node):
            guard node.kind == .folder else { throw DAVError.conflict("not a collection") }
            folder = node.id
        case .absent, .noParent: throw DAVError.notFound
        }
        // A name another client could write but WebDAV cannot address (a control character,
        // over 255 bytes) is left out of the listing rather than failing it.
        return try snapshot.members(of: folder).compactMap { name, node in
            guard let child = try? path.appending(name) else { return nil }
            return try Self.info(of: node, at: child, withProperties: withProperties)
        }
    }

    private func rootInfo(_ path: DAVPath) -> DAVResourceInfo {
        DAVResourceInfo(
            path: path, isCollection: true, contentLength: 0, contentType: nil, etag: nil, lastModified: startedAt,
            creationDate: startedAt, deadProperties: [:])
    }

    /// What a node tells WebDAV. Symlinks are served as empty files (their target is not content).
    static func info(of node: VaultNode, at path: DAVPath, withProperties: Bool) throws(DAVError) -> DAVResourceInfo {
        guard let record = node.record else { throw DAVError.notFound }
        let isCollection = node.kind == .folder
        let seconds = record.modificationTime / 1_000_000_000
        return DAVResourceInfo(
            path: path, isCollection: isCollection, contentLength: node.kind == .file ? Int64(record.size) : 0,
            contentType: isCollection ? nil : DAVContentType.forName(record.name), etag: node.etag, lastModified: seconds,
            // Properties that do not decode (written by another client) are shown as none
            // rather than failing a whole listing; PROPPATCH still refuses to touch them.
            creationDate: seconds, deadProperties: withProperties ? ((try? properties(of: record)) ?? [:]) : nil)
    }

    /// The dead properties a record carries (hostile bytes until decoded and checked).
    static func properties(of record: EntryRecord) throws(DAVError) -> [DAVPropertyName: DAVPropertyValue] {
        record.deadProperties.isEmpty ? [:] : try DirectoryDAVStorage.decode(record.deadProperties)
    }

    // MARK: Following the feed

    /// Reads feed pages after the tree's cursor until the end (the first one long-polled for
    /// `wait` when given) and applies them; true when a page held entries. The server is not
    /// trusted: `FeedReader.check`'s rules hold for every page.
    @discardableResult
    func pull(wait: Duration?) async throws -> Bool {
        var wait = wait
        var brought = false
        while true {
            let since = tree.withLock { $0.cursor }
            let answer = try await remote.changes(since: since, limit: FeedReader.pageSize, wait: wait)
            wait = nil
            switch answer {
            case .cursorGone:
                guard since > 0 else { throw SyncClientError.protocolViolation("the feed cannot be read from its start") }
                tree.withLock { $0 = VaultTree() }
            case .page(let page):
                try FeedReader.check(page, since: since)
                let records = keyring.recordSessions()
                let nodes = page.entries.map { open($0, with: records) }
                tree.withLock { tree in
                    for node in nodes { tree.apply(node) }
                    tree.advance(to: page.cursor)
                }
                brought = brought || !nodes.isEmpty
                guard page.hasMore else { return brought }
            }
        }
    }

    /// A feed state with its record opened (`records`: the page's key schedules); a record that
    /// does not open is kept unserved.
    private func open(_ state: EntryState, with records: VaultKeyring.RecordSessions) -> VaultNode {
        let opened = try? records.open(state.record.bytes, entry: state.entryId, parent: state.parentId, kind: state.kind)
        return VaultNode(
            id: state.entryId, parentID: state.parentId, kind: state.kind, rev: state.rev, nameTag: state.nameTag,
            deleted: state.deleted, record: opened?.0, generation: opened?.1.number ?? keyring.newest.number)
    }
}
