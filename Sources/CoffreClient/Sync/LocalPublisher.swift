import CoffreProtocol
import CoffreCrypto

/// Commits the local changes of a `LocalPlanner` plan (DESIGN §7, §8): in batches of at most
/// `commitBatchSize` entries, each batch's files read and sealed and their missing blobs
/// uploaded first, then one commit whose base revs come from the synced tree. The next batch is
/// read, sealed and uploaded while one is committed; commits still go out one at a time, in
/// order, each once every blob it references is acknowledged. Each commit is
/// written down in the index (commit id included) before it is sent, and the synced tree is
/// updated only once it landed; a refused commit (409) is retried without the entries it
/// names, and those wait for the next round, which pulls the feed first.
final class LocalPublisher {
    /// Tries per batch before its remaining entries are reported as refused.
    static let attemptsPerBatch = 3
    /// Small files sealed per blocking call and uploaded in one batch request: at least this
    /// many where bytes allow (a batch's remainder is spread over its groups: 256 to 511 files),
    /// since the server makes a batch of 256 blobs or more durable with two syncfs(2) calls
    /// instead of an fsync per file and per folder (docs/performance.md, "Durable uploads").
    static let smallFileGroup = 256
    /// Bytes a group of small files aims at (one batch request, `BlobUploader.batchByteLimit`).
    static let smallGroupBytes = BlobUploader.batchByteLimit
    /// Groups of small files being sealed or uploaded at once.
    static let smallGroupsInFlight = 3
    /// Blob references one commit may carry (the server takes up to 200,000).
    static let blobsPerCommit = 100_000

    private let context: PassContext
    private var report: SyncReport
    /// A commit was refused: the next round must pull the feed and plan again.
    private(set) var needsAnotherRound = false
    private(set) var didWork = false

    private struct Prepared: Sendable {
        let change: EntryChange
        let pending: PendingCommit.Entry
        let sealedContent: Bool
    }

    init(context: PassContext, report: SyncReport) {
        self.context = context
        self.report = report
    }

    /// Commits the plan; returns the report with what was done added.
    func publish(_ plan: LocalPlanner.Plan) async throws -> SyncReport {
        report.skipped += plan.skipped
        if !plan.forgotten.isEmpty {
            try await context.index.apply(plan.forgotten.map { .forgotten($0) })
            didWork = true
        }
        let sealing = plan.changes.filter(\.sealsContent)
        context.progress.begin(.uploading, files: sealing.count, bytes: sealing.reduce(0) { $0 + ($1.local?.metadata.size ?? 0) })
        let batches = batches(of: plan.changes)
        let sealer = context.contentSealer(uploading: true)
        try await withThrowingTaskGroup(of: [Sealing].self) { ahead in
            if let first = batches.first {
                let changes = first.filter(\.sealsContent)
                ahead.addTask { try await Self.seal(changes, with: sealer) }
            }
            for (number, batch) in batches.enumerated() {
                guard let outcomes = try await ahead.next() else { break }
                // The next batch's blobs may reach the server before this commit lands: they are
                // content-addressed and referenced by nothing yet; its own commit goes out after
                // this one and after all of them. An error here cancels and awaits that work.
                if number + 1 < batches.count {
                    let changes = batches[number + 1].filter(\.sealsContent)
                    ahead.addTask { try await Self.seal(changes, with: sealer) }
                }
                var sealed: [EntryID: SealedContent] = [:]
                for outcome in outcomes { record(outcome.result, for: outcome.change, into: &sealed) }
                try context.faultHook?(.afterBlobsUploaded)
                var prepared: [Prepared] = []
                let records = context.keyring.recordSessions()
                for change in batch {
                    guard let entry = try prepare(change, sealed: sealed, records: records) else { continue }
                    prepared.append(entry)
                }
                try await commit(prepared)
            }
        }
        return report
    }

    /// Cuts the changes into commits: at most `commitBatchSize` entries and, by the files'
    /// sizes, at most `blobsPerCommit` blob references.
    private func batches(of changes: [LocalChange]) -> [[LocalChange]] {
        let limit = max(1, context.configuration.commitBatchSize)
        let chunkSize = Int64(context.keyring.newest.chunker.parameters.minimumSize)
        var batches: [[LocalChange]] = []
        var current: [LocalChange] = []
        var blobs: Int64 = 0
        for change in changes {
            let estimate = change.sealsContent ? (change.local?.metadata.size ?? 0) / chunkSize + 2 : Int64(change.synced?.chunks.count ?? 0) + 1
            if !current.isEmpty && (current.count == limit || blobs + estimate > Int64(Self.blobsPerCommit)) {
                batches.append(current)
                current = []
                blobs = 0
            }
            current.append(change)
            blobs += estimate
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    // MARK: Sealing

    /// How sealing one change's file went.
    private struct Sealing: Sendable {
        let change: LocalChange
        let result: SealResult
    }

    /// Reads and seals the files of a batch, uploading what the server lacks; small files
    /// together, large ones one by one. Results: the small files in order, then the large ones.
    private static func seal(_ changes: [LocalChange], with sealer: ContentSealer) async throws -> [Sealing] {
        let small = changes.filter { ($0.local?.metadata.size ?? 0) <= Int64(sealer.smallFileLimit) }
        let large = changes.filter { ($0.local?.metadata.size ?? 0) > Int64(sealer.smallFileLimit) }
        var groups: [[LocalChange]] = []
        var start = 0
        for count in smallGroupCounts(small.map { $0.local?.metadata.size ?? 0 }) {
            groups.append(Array(small[start..<start + count]))
            start += count
        }
        let results = try await sealGroups(groups.map { $0.compactMap(\.local?.path) }, with: sealer)
        var outcomes: [Sealing] = []
        for (group, groupResults) in zip(groups, results) {
            for (change, result) in zip(group, groupResults) { outcomes.append(Sealing(change: change, result: result)) }
        }
        for change in large {
            guard let path = change.local?.path else { continue }
            outcomes.append(Sealing(change: change, result: try await sealer.seal(path, previous: change.synced?.chunks ?? [])))
        }
        return outcomes
    }

    /// How many small files of these sizes go in each group: groups of equal count (to one
    /// file), one per whole `smallFileGroup` files (so 256 to 511 each; one group when fewer),
    /// or more if that many would hold over about `smallGroupBytes` each.
    static func smallGroupCounts(_ sizes: [Int64]) -> [Int] {
        guard !sizes.isEmpty else { return [] }
        let bytes = sizes.reduce(Int64(0)) { $0 + max(0, $1) }
        let byBytes = Int((bytes + Int64(smallGroupBytes) - 1) / Int64(smallGroupBytes))
        let count = min(sizes.count, max(1, sizes.count / smallFileGroup, byBytes))
        let base = sizes.count / count, extra = sizes.count % count
        return (0..<count).map { base + ($0 < extra ? 1 : 0) }
    }

    /// Seals and uploads groups of small files, `smallGroupsInFlight` at once, so one group is
    /// read and sealed while the one before it is uploaded. Results in the order of `groups`.
    private static func sealGroups(_ groups: [[LocalPath]], with sealer: ContentSealer) async throws -> [[SealResult]] {
        try await withThrowingTaskGroup(of: (Int, [SealResult]).self) { tasks in
            var results = [[SealResult]](repeating: [], count: groups.count)
            for (number, paths) in groups.enumerated() {
                if number >= smallGroupsInFlight, let (done, sealed) = try await tasks.next() { results[done] = sealed }
                tasks.addTask { (number, try await sealer.sealSmallFiles(paths)) }
            }
            for try await (done, sealed) in tasks { results[done] = sealed }
            return results
        }
    }

    private func record(_ result: SealResult, for change: LocalChange, into sealed: inout [EntryID: SealedContent]) {
        let path = change.local?.path.onDisk ?? change.name
        switch result {
        case .sealed(let content):
            sealed[change.id] = content
            context.progress.fileDone(bytes: Int64(content.metadata.size))
        case .unreadable(let code):
            report.skipped.append(SyncSkip(path: path, reason: .unreadable(errno: code)))
        case .changedWhileReading:
            report.skipped.append(SyncSkip(path: path, reason: .changedWhileReading))
            needsAnotherRound = true
        }
    }

    // MARK: Records

    /// The commit entry and the future synced state of one change; nil when its file could
    /// not be sealed (already reported). `records` seals the records with the batch's key
    /// schedules.
    private func prepare(
        _ change: LocalChange, sealed: [EntryID: SealedContent], records: VaultKeyring.RecordSessions
    ) throws -> Prepared? {
        let keyring = context.keyring
        if change.action == .delete, let synced = change.synced {
            let record = try records.seal(
                synced.attributes.record(kind: synced.kind), entry: synced.id, parent: synced.parentID,
                generation: synced.attributes.generation)
            let tag = try keyring.nameTag(synced.attributes.name, parent: synced.parentID)
            return Prepared(
                change: EntryChange(
                    entryId: synced.id, baseRev: synced.rev, parentId: synced.parentID, kind: synced.kind, nameTag: tag,
                    deleted: true, record: Base64Bytes(record)),
                pending: PendingCommit.Entry(state: synced, tombstone: true, nameTag: tag), sealedContent: false)
        }
        guard let local = change.local else { return nil }
        let content = sealed[change.id]
        if change.sealsContent && content == nil { return nil }
        let metadata = content?.metadata ?? local.metadata
        let previous = change.synced?.attributes
        var attributes = EntryAttributes(
            name: change.name, modificationTime: metadata.modificationTime, mode: metadata.mode & 0o777, size: 0,
            symlinkTarget: local.symlinkTarget, manifest: .none, generation: keyring.newest.number,
            deadProperties: previous?.deadProperties ?? [])
        var chunks: [ChunkReference] = []
        switch change.kind {
        case .file:
            if let content {
                attributes.manifest = content.manifest
                chunks = content.chunks
            } else if let previous, let synced = change.synced {
                attributes.manifest = previous.manifest
                attributes.generation = previous.generation
                chunks = synced.chunks
            }
            attributes.size = chunks.reduce(0) { $0 + UInt64($1.length) }
        case .folder, .symlink:
            // A folder's or symlink's mode and mtime are set when it is created; later changes
            // to them are not synced (a folder's mtime moves with every change inside).
            if let previous {
                attributes.modificationTime = previous.modificationTime
                attributes.mode = previous.mode
                if change.kind == .folder || previous.symlinkTarget == attributes.symlinkTarget {
                    attributes.generation = previous.generation
                }
            }
        }
        let record = try records.seal(
            attributes.record(kind: change.kind), entry: change.id, parent: change.parentID, generation: attributes.generation)
        let tag = try keyring.nameTag(change.name, parent: change.parentID)
        let state = SyncedEntry(
            id: change.id, parentID: change.parentID, kind: change.kind, rev: change.baseRev, remoteDeleted: false,
            attributes: attributes, chunks: chunks, path: local.path.onDisk, local: LocalIdentity(metadata))
        return Prepared(
            change: EntryChange(
                entryId: change.id, baseRev: change.baseRev, parentId: change.parentID, kind: change.kind, nameTag: tag,
                record: Base64Bytes(record), blobs: state.blobIDs),
            pending: PendingCommit.Entry(state: state, tombstone: false, nameTag: tag), sealedContent: content != nil)
    }

    // MARK: Commits

    /// Commits `prepared`: written down first, then sent; entries the server refuses are left
    /// out of the next try.
    private func commit(_ prepared: [Prepared]) async throws {
        var remaining = prepared
        attempts: for _ in 0..<Self.attemptsPerBatch where !remaining.isEmpty {
            context.progress.begin(.committing, files: remaining.count)
            let pending = PendingCommit(
                request: CommitRequest(commitId: Self.newCommitID(), changes: remaining.map(\.change)),
                entries: remaining.map(\.pending))
            try await context.index.addPendingCommit(pending)
            try context.faultHook?(.afterCommitRecorded)
            let outcome: RemoteCommitOutcome
            do {
                outcome = try await context.remote.commit(pending.request)
            } catch {
                throw SyncClientError.remote(operation: "commit", underlying: error)
            }
            switch outcome {
            case .committed(let receipt):
                try context.faultHook?(.afterCommitLanded)
                try await context.index.completePendingCommit(pending, seq: receipt.seq)
                report.remoteChanges += remaining.count
                report.uploadedFiles += remaining.filter(\.sealedContent).count
                didWork = true
                return
            case .rejected(let rejection):
                try await context.index.dropPendingCommit(pending)
                needsAnotherRound = true
                let missing = rejection.conflicts.flatMap { $0.missingBlobs ?? [] }
                if !missing.isEmpty { try await context.index.forgetBlobs(missing) }
                let refused = Set(rejection.conflicts.map(\.entryId))
                guard !refused.isEmpty else { break attempts }
                remaining.removeAll { refused.contains($0.change.entryId) }
            }
        }
        for entry in remaining {
            report.skipped.append(SyncSkip(path: entry.pending.state.path, reason: .refusedByServer))
        }
    }

    /// A random commit id (the idempotency key).
    static func newCommitID() -> CommitID {
        let bytes = (try? SecureRandom.bytes(count: 16)) ?? (0..<16).map { _ in UInt8.random(in: 0...255) }
        return CommitID(bytes: bytes) ?? CommitID(high: .random(in: 1...UInt64.max), low: .random(in: 0...UInt64.max))
    }
}
