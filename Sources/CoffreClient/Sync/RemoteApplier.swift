import CoffreProtocol
import Foundation

/// Carries out a `RemotePlanner` plan on this side: folders, symlinks, moves, attribute
/// changes and conflict copies in order, then the downloads in parallel, then removals
/// deepest first. The index is updated only after each change is done on disk, in batches;
/// after a crash in between, the next pass finds the entry already where it belongs and
/// adopts it.
///
/// Each step checks what is on disk now: a step whose expectation no longer holds (a file
/// edited meanwhile, a name taken) is left for the next round, which plans it again from a
/// fresh scan. A step that fails on one entry is reported and skipped. Used by one pass, from
/// one task.
final class RemoteApplier {
    /// Index updates written per transaction. Entry ids are random, so each transaction of
    /// updates touches most pages of the `remote`, `synced` and `chunks` tables and writes
    /// them to the WAL again: 500 per transaction wrote four pages per file placed (40,000
    /// pwrite(2) for 10,000 files, docs/performance.md "Sync client"). A crash before a write
    /// only leaves placed files that the next pass adopts.
    static let updateBatchSize = 2_000

    let context: PassContext
    private let match: LocalMatch
    private let syncedByPath: [DiskPath: SyncedEntry]
    var report: SyncReport
    private var updates: [IndexUpdate] = []
    /// Files to download once the structure is in place.
    var downloads: [Download] = []
    /// Entries moved in this run, (old path, new path) in order: paths read from the scan
    /// are rewritten through them (a folder's move moves everything below).
    private var relocations: [(from: String, to: String)] = []
    /// Synced entries whose own move has not run yet: they may be parked to free a name.
    private var movesAhead: Set<EntryID> = []
    /// Whether anything changed on disk or in the index.
    var didWork = false

    /// One queued download.
    struct Download: Sendable {
        let remote: RemoteEntry
        let attributes: EntryAttributes
        let path: LocalPath
        let expectation: PlacementExpectation
    }

    init(context: PassContext, match: LocalMatch, synced: [EntryID: SyncedEntry], report: SyncReport) {
        self.context = context
        self.match = match
        self.report = report
        syncedByPath = Dictionary(synced.values.map { (DiskPath($0.path), $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Runs the plan; returns the report with what was done added.
    func apply(_ plan: [RemoteApplication]) async throws -> SyncReport {
        movesAhead = Set(plan.compactMap { application in
            guard case .update(let local, let path, _) = application.action, local.path != path else { return nil }
            return application.remote.id
        })
        var removals: [RemoteApplication] = []
        for application in plan {
            switch application.action {
            case .remove, .resurrect, .forget, .markApplied: removals.append(application)
            default: try await run(application)
            }
            try await flushIfFull()
        }
        try await runDownloads()
        for application in removals {
            try await run(application)
            try await flushIfFull()
        }
        try await flush()
        return report
    }

    // MARK: One application

    private func run(_ application: RemoteApplication) async throws {
        let remote = application.remote
        switch application.action {
        case .skip(let reason, let path):
            if let reason { report.skipped.append(SyncSkip(path: path, reason: reason)) }
        case .markApplied:
            record(.remoteApplied(remote.id))
        case .forget:
            record(.forgotten(remote.id))
        case .accept:
            guard var synced = application.synced, let attributes = remote.attributes else { return }
            synced.rev = remote.rev
            synced.attributes = attributes
            synced.remoteDeleted = false
            record(.agreed(synced))
        case .resurrect:
            if let synced = application.synced { resurrect(synced, at: remote.rev) }
        case .remove(let local):
            remove(local, of: application)
        case .create(let path):
            try await create(remote, at: path)
        case .merge(let path, let local):
            try await merge(remote, at: path, with: local)
        case .update(let local, let path, let content):
            try await update(application, local: local, to: path, content: content)
        }
    }

    /// Creates the entry at `path`: a folder or symlink now, a file by a queued download.
    private func create(_ remote: RemoteEntry, at path: LocalPath) async throws {
        guard let attributes = remote.attributes, ensureFolders(above: path) else { return }
        if remote.kind == .file {
            downloads.append(Download(remote: remote, attributes: attributes, path: path, expectation: .absent))
            return
        }
        let editor = context.editor
        let make = { () throws(LocalFSError) -> LocalTreeEditor.Outcome in
            remote.kind == .folder
                ? try editor.makeFolder(path, mode: attributes.mode)
                : try editor.makeSymlink(path, target: attributes.symlinkTarget ?? "", modificationTime: attributes.modificationTime)
        }
        var outcome = fileSystem(path, make)
        if outcome == .occupied, freeName(path) { outcome = fileSystem(path, make) }
        guard case .done(let metadata) = outcome else { return }
        record(.agreed(agreedState(remote, attributes, path: path.onDisk, metadata: metadata, chunks: [])))
        report.localChanges += 1
    }

    /// An entry this side does not follow sits where a remote entry belongs: the same content
    /// is adopted (no transfer); anything else is moved aside under a conflict name.
    private func merge(_ remote: RemoteEntry, at path: LocalPath, with local: ScannedEntry) async throws {
        guard let attributes = remote.attributes else { return }
        func adopt(_ metadata: FileMetadata, chunks: [ChunkReference]) {
            record(.agreed(agreedState(remote, attributes, path: local.path.onDisk, metadata: metadata, chunks: chunks)))
        }
        switch local.kind {
        case .folder where remote.kind == .folder:
            return adopt(local.metadata, chunks: [])
        case .symlink(let target) where remote.kind == .symlink && target == attributes.symlinkTarget:
            return adopt(local.metadata, chunks: [])
        case .file where remote.kind == .file:
            guard let content = try await probe(local.path) else { return }
            if content.manifest.hasSameBlobs(as: attributes.manifest) { return adopt(content.metadata, chunks: content.chunks) }
        default:
            break
        }
        guard keepConflictCopy(of: path) else { return }
        try await create(remote, at: path)
    }

    private func update(
        _ application: RemoteApplication, local: ScannedEntry, to path: LocalPath, content: RemoteApplication.Content
    ) async throws {
        let remote = application.remote
        guard var synced = application.synced, let attributes = remote.attributes else { return }
        let source = relocated(local.path)
        if source != path {
            guard ensureFolders(above: path) else { return }
            let editor = context.editor
            let move = { () throws(LocalFSError) in try editor.move(source, to: path) }
            var outcome = fileSystem(path, move)
            if outcome == .occupied, freeName(path) { outcome = fileSystem(path, move) }
            guard case .done = outcome else { return }
            movesAhead.remove(remote.id)
            relocations.append((source.onDisk, path.onDisk))
            if remote.kind == .folder { record(.subtreeMoved(from: source.onDisk, to: path.onDisk)) }
            report.localChanges += 1
        }
        synced.path = path.onDisk
        synced.parentID = remote.parentID
        synced.rev = remote.rev
        synced.remoteDeleted = false
        synced.attributes = attributes
        switch content {
        case .keep:
            // This side may have changes of its own: `local` stays as agreed, so the next
            // commit still sees them.
            record(.agreed(synced))
        case .setAttributes:
            let editor = context.editor
            let changed = fileSystem(path) { () throws(LocalFSError) in
                try editor.setAttributes(path, mode: attributes.mode, modificationTime: attributes.modificationTime, expected: local.metadata)
            }
            guard let changed, let changed else { return }
            synced.local = LocalIdentity(changed)
            record(.agreed(synced))
            report.localChanges += 1
        case .download:
            downloads.append(Download(remote: remote, attributes: attributes, path: path, expectation: .file(local.metadata)))
        case .replaceSymlink:
            let editor = context.editor
            let removal = fileSystem(path) { () throws(LocalFSError) in try editor.remove(path, kind: .symlink, expected: local.metadata) }
            guard removal == .removed || removal == .gone else { return }
            try await create(remote, at: path)
        case .conflict:
            if remote.kind == .file {
                guard let sealed = try await probe(path) else { return }
                if sealed.manifest.hasSameBlobs(as: attributes.manifest) {
                    synced.chunks = sealed.chunks
                    synced.local = LocalIdentity(sealed.metadata)
                    record(.agreed(synced))
                    return
                }
            }
            guard keepConflictCopy(of: path) else { return }
            try await create(remote, at: path)
        }
    }

    private func remove(_ local: ScannedEntry, of application: RemoteApplication) {
        guard let synced = application.synced else { return }
        let path = relocated(local.path)
        let editor = context.editor
        switch fileSystem(path, { () throws(LocalFSError) in try editor.remove(path, kind: synced.kind, expected: local.metadata) }) {
        case .removed:
            record(.forgotten(synced.id))
            report.localChanges += 1
        case .gone:
            record(.forgotten(synced.id))
        case .notEmpty:
            // The folder keeps entries this side added or changed: it stays, and comes back.
            resurrect(synced, at: application.remote.rev)
        case .changed, nil:
            break
        }
    }

    private func resurrect(_ synced: SyncedEntry, at rev: Int64) {
        var synced = synced
        synced.rev = rev
        synced.remoteDeleted = true
        record(.agreed(synced))
    }

    /// The local file's sealed content (not uploaded), to compare with a remote version; nil
    /// (reported) when it cannot be read consistently now.
    private func probe(_ path: LocalPath) async throws -> SealedContent? {
        switch try await context.contentSealer(uploading: false).seal(path) {
        case .sealed(let content):
            return content
        case .unreadable(let code):
            report.skipped.append(SyncSkip(path: path.onDisk, reason: .unreadable(errno: code)))
        case .changedWhileReading:
            report.skipped.append(SyncSkip(path: path.onDisk, reason: .changedWhileReading))
        }
        return nil
    }

    // MARK: Names and folders

    /// Moves the entry at `path` aside under a conflict name in the same folder and records
    /// the conflict; false when that failed (reported).
    private func keepConflictCopy(of path: LocalPath) -> Bool {
        let editor = context.editor
        let namer = context.conflictNamer
        let moved = fileSystem(path) { () throws(LocalFSError) -> LocalPath? in
            let copy: LocalPath
            do {
                let name = try namer.name(for: String(path.name), at: Date()) { candidate in
                    try editor.metadata(of: try Self.sibling(of: path, named: candidate)) != nil
                }
                copy = try Self.sibling(of: path, named: name)
            } catch let error as LocalFSError {
                throw error
            } catch {
                throw .conflictNamesExhausted
            }
            guard case .done = try editor.move(path, to: copy) else { return nil }
            return copy
        }
        guard let moved, let copy = moved else { return false }
        relocations.append((path.onDisk, copy.onDisk))
        report.conflicts.append(SyncConflict(path: path.onDisk, conflictCopy: copy.onDisk))
        report.localChanges += 1
        return true
    }

    /// Frees `path` for an entry that belongs there: what this side does not follow is kept
    /// under a conflict name; a synced entry whose own move comes later in this run is parked
    /// under a visible temporary name (a crash leaves it there, and the next pass moves it
    /// where the vault says). False when the name stays taken.
    private func freeName(_ path: LocalPath) -> Bool {
        // An entry this run put there stays.
        guard !relocations.contains(where: { $0.to.utf8.elementsEqual(path.onDisk.utf8) }) else { return false }
        guard let owner = match.owners[DiskPath(path)] else { return keepConflictCopy(of: path) }
        guard movesAhead.contains(owner) else { return false }
        let editor = context.editor
        let parked = fileSystem(path) { () throws(LocalFSError) -> LocalPath? in
            let parked = try Self.sibling(of: path, named: "\(path.name) (moving \(UInt32.random(in: 0...UInt32.max)))")
            guard case .done = try editor.move(path, to: parked) else { return nil }
            return parked
        }
        guard let parked, let parked else { return false }
        relocations.append((path.onDisk, parked.onDisk))
        return true
    }

    /// Makes sure every folder above `path` exists, recreating synced folders deleted here
    /// (a remote change inside a folder this side deleted brings the folder back). False
    /// (reported) when one is missing and is not a synced folder, or a non-folder is in the way.
    private func ensureFolders(above path: LocalPath) -> Bool {
        let editor = context.editor
        var missing: [LocalPath] = []
        var folder = path.parent
        while let current = folder {
            guard let found = fileSystem(current, { () throws(LocalFSError) in try editor.metadata(of: current) }) else { return false }
            if let found {
                guard found.kind == .folder else { return unavailable(path) }
                break
            }
            missing.append(current)
            folder = current.parent
        }
        for current in missing.reversed() {
            guard let synced = syncedByPath[DiskPath(current)], synced.kind == .folder else { return unavailable(path) }
            let outcome = fileSystem(current) { () throws(LocalFSError) in try editor.makeFolder(current, mode: synced.attributes.mode) }
            guard case .done(let metadata) = outcome else { return unavailable(path) }
            var recreated = synced
            recreated.local = LocalIdentity(metadata)
            record(.agreed(recreated))
            report.localChanges += 1
        }
        return true
    }

    private func unavailable(_ path: LocalPath) -> Bool {
        report.skipped.append(SyncSkip(path: path.onDisk, reason: .parentUnavailable))
        return false
    }

    /// A path read from the scan, after the moves this run made.
    private func relocated(_ path: LocalPath) -> LocalPath {
        var current = path.onDisk
        for (from, to) in relocations {
            if current.utf8.elementsEqual(from.utf8) {
                current = to
            } else if current.utf8.starts(with: from.utf8), current.utf8.dropFirst(from.utf8.count).first == UInt8(ascii: "/") {
                current = to + String(decoding: current.utf8.dropFirst(from.utf8.count), as: UTF8.self)
            }
        }
        return current.utf8.elementsEqual(path.onDisk.utf8) ? path : ((try? LocalPath(current)) ?? path)
    }

    private static func sibling(of path: LocalPath, named name: String) throws(LocalFSError) -> LocalPath {
        if let folder = path.parent { return try folder.appending(name) }
        return try LocalPath(name)
    }

    // MARK: Index and errors

    func agreedState(
        _ remote: RemoteEntry, _ attributes: EntryAttributes, path: String, metadata: FileMetadata, chunks: [ChunkReference]
    ) -> SyncedEntry {
        SyncedEntry(
            id: remote.id, parentID: remote.parentID, kind: remote.kind, rev: remote.rev, remoteDeleted: false,
            attributes: attributes, chunks: chunks, path: path, local: LocalIdentity(metadata))
    }

    func record(_ update: IndexUpdate) {
        updates.append(update)
        didWork = true
    }

    func flushIfFull() async throws {
        if updates.count >= Self.updateBatchSize { try await flush() }
    }

    func flush() async throws {
        let batch = updates
        updates.removeAll()
        try await context.index.apply(batch)
    }

    /// Runs one entry's file-system step; a failure is reported as that entry's skip (nil).
    private func fileSystem<T>(_ path: LocalPath, _ body: () throws(LocalFSError) -> T) -> T? {
        do {
            return try body()
        } catch {
            report.skipped.append(SyncSkip(path: path.onDisk, reason: .localChangeFailed(detail: error.description)))
            return nil
        }
    }
}
