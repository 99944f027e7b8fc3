import CoffreProtocol
import Foundation
import HTTPServer
import Synchronization

/// Syncs one folder with one vault (DESIGN §8; docs/sync-client.md): three trees — remote
/// (the changes feed), local (a scan), synced (the last agreed state) — in a local index,
/// compared per entry id; remote changes applied here, local changes committed there.
///
/// `syncOnce()` runs one pass to a stable state; `run()` keeps the folder synced (inotify for
/// local changes, the long-polled feed for remote ones). One pass at a time per engine, and
/// one engine per folder (a lock in the folder's `.coffre` state folder).
public final class SyncEngine: Sendable {
    /// How this engine syncs.
    public let configuration: SyncConfiguration
    let remote: any SyncRemote
    let root: SyncRoot
    let index: SyncIndex
    /// Opens a grant of the vault key (verifying it against pinned member keys): the caller's.
    private let openGrant: @Sendable (WrappedVaultKey) throws -> VaultKey
    private let state = Mutex(EngineState())

    /// The keys and pipelines of the key generations in use, kept between passes.
    struct Tools: Sendable {
        let keyring: VaultKeyring
        let sealer: FileSealer
        let openers: [UInt32: FileOpener]
    }

    private struct EngineState {
        var running = false
        var tools: Tools?
        var lastReport: SyncReport?
        var lastError: String?
    }

    /// Opens the folder and its index (creating `.coffre/index.db`) for the vault `remote`
    /// talks to. `openGrant` turns a grant into the vault key. Throws `.folderBusy` when
    /// another engine has the folder, `.indexBelongsToAnotherVault` when it syncs another vault.
    public init(
        configuration: SyncConfiguration, remote: any SyncRemote,
        openGrant: @escaping @Sendable (WrappedVaultKey) throws -> VaultKey
    ) async throws {
        let folder = configuration.folder
        let vault = remote.vaultID
        let (root, index) = try await HTTPBlockingWork.run {
            let root: SyncRoot
            do throws(LocalFSError) {
                root = try SyncRoot(path: folder)
            } catch {
                throw SyncClientError.localFileSystem(operation: "open the sync folder", underlying: error)
            }
            return (root, try SyncIndex(root: root, vault: vault))
        }
        self.configuration = configuration
        self.remote = remote
        self.root = root
        self.index = index
        self.openGrant = openGrant
    }

    // MARK: One pass

    /// Syncs until both sides agree or nothing more can be done now: resends commits a crash
    /// left unanswered, then rounds of pull feed → scan → apply remote changes → commit local
    /// changes (at most `maximumRounds`). Returns what it did; throws when the server, the
    /// index or the folder as a whole fails, or `.alreadyRunning`.
    public func syncOnce() async throws -> SyncReport {
        try state.withLock { state throws(SyncClientError) in
            guard !state.running else { throw .alreadyRunning }
            state.running = true
        }
        do {
            let report = try await pass()
            state.withLock { state in
                state.running = false
                state.lastReport = report
                state.lastError = nil
            }
            return report
        } catch {
            state.withLock { state in
                state.running = false
                state.lastError = "\(error)"
            }
            throw error
        }
    }

    private func pass() async throws -> SyncReport {
        let summary: VaultSummary
        do {
            summary = try await remote.vaultState()
        } catch {
            throw SyncClientError.remote(operation: "read the vault's state", underlying: error)
        }
        let highest = try await index.feedPosition().highestSeq
        guard summary.seq >= highest else { throw SyncClientError.feedWentBack(seen: highest, offered: summary.seq) }
        let tools = try await tools(for: summary)
        let context = PassContext(
            remote: remote, index: index, root: root, keyring: tools.keyring, sealer: tools.sealer, openers: tools.openers,
            configuration: configuration, progress: ProgressTracker(callback: configuration.progress))
        var report = SyncReport()
        report.remoteChanges += try await resendPendingCommits()
        let writable = summary.role != .read
        for round in 1...max(1, configuration.maximumRounds) {
            report.rounds = round
            report.skipped = []
            _ = try await FeedReader(remote: remote, index: index, keyring: tools.keyring).pull()
            let check = try await takeSnapshot(context, keepingAtMost: LocalSnapshot.checkEntryLimit)
            report.skipped += check.skipped.compactMap { skip in
                skip.reason.stateIsUnknown ? SyncSkip(path: skip.displayPath, reason: .stateUnknown(skip.reason)) : nil
            }
            try await removeTemporaryFiles(check)
            let dirty = try await index.dirtyRemoteEntries()
            if dirty.isEmpty && check.differenceCount == 0 {
                report.isIdentical = report.skipped.isEmpty
                break
            }
            // The check serves as the snapshot when it kept every entry: taken a moment ago, as
            // another scan would be, less the leftover temp files just removed (never entries).
            var snapshot = check.hasEveryEntry ? check.removingTemporaryFiles() : try await takeSnapshot(context)
            var synced = try await index.syncedEntries()
            var match = LocalMatch(snapshot: snapshot, synced: synced)
            var worked = false
            if !dirty.isEmpty {
                let plan = RemotePlanner(dirty: dirty, synced: synced, match: match, snapshot: snapshot).plan()
                let applier = RemoteApplier(context: context, match: match, synced: synced, report: report)
                report = try await applier.apply(plan)
                if applier.didWork && check.differenceCount == 0 {
                    // The folder was exactly as agreed before: the applier recorded all it did,
                    // and nothing is left to publish but edits made meanwhile, which the next
                    // round's check finds (after a pull). Scanning and planning again here found
                    // nothing on every first download of a tree (docs/performance.md, "Sync client").
                    continue
                }
                if applier.didWork {
                    worked = true
                    snapshot = try await takeSnapshot(context)
                    synced = try await index.syncedEntries()
                    match = LocalMatch(snapshot: snapshot, synced: synced)
                }
            }
            let waiting = Set(try await index.dirtyRemoteEntries().map(\.id))
            let plan = LocalPlanner(snapshot: snapshot, synced: synced, match: match, waiting: waiting).plan()
            if writable {
                let publisher = LocalPublisher(context: context, report: report)
                report = try await publisher.publish(plan)
                if publisher.needsAnotherRound { continue }
                worked = worked || publisher.didWork
            } else {
                report.skipped += plan.changes.map { SyncSkip(path: $0.local?.path.onDisk ?? $0.name, reason: .readOnlyVault) }
            }
            if !worked { break }
        }
        report.uploadedBytes = context.counters.sentBytes
        report.downloadedBytes = context.counters.fetchedBytes
        report.copiedBytes = context.counters.copiedBytes
        if report.isIdentical { try await index.recordSyncTime(Date()) }
        return report
    }

    /// Scans the folder and compares it with the synced tree (on the index's reader thread);
    /// `keepingAtMost` a few entries for the first check of a round, which then only counts
    /// differences (`LocalSnapshot.take`).
    private func takeSnapshot(_ context: PassContext, keepingAtMost limit: Int = .max) async throws -> LocalSnapshot {
        context.progress.begin(.scanning)
        let root = root
        let options = configuration.scanOptions
        return try await index.read("compare the folder with the synced tree") { db in
            try LocalSnapshot.take(root: root, options: options, comparingWith: db, keepingAtMost: limit)
        }
    }

    /// Deletes the temp files a crash left between writing a download and placing it.
    private func removeTemporaryFiles(_ snapshot: LocalSnapshot) async throws {
        let leftovers = snapshot.skipped.filter { $0.reason == .syncTemporaryFile }.compactMap(\.path)
        guard !leftovers.isEmpty else { return }
        let editor = LocalTreeEditor(root: root)
        try await HTTPBlockingWork.run {
            for path in leftovers {
                do throws(LocalFSError) {
                    try editor.removeTemporaryFile(path)
                } catch {
                    throw SyncClientError.localFileSystem(operation: "remove a leftover temp file", underlying: error)
                }
            }
        }
    }

    /// Sends again the commits a previous run wrote down but never saw answered, with the
    /// same ids: the server answers the original result for those that landed. Returns the
    /// number of entries that landed now or then.
    private func resendPendingCommits() async throws -> Int {
        var landed = 0
        for pending in try await index.pendingCommits() {
            let outcome: RemoteCommitOutcome
            do {
                outcome = try await remote.commit(pending.request)
            } catch {
                throw SyncClientError.remote(operation: "resend a commit", underlying: error)
            }
            switch outcome {
            case .committed(let receipt):
                try await index.completePendingCommit(pending, seq: receipt.seq)
                landed += pending.entries.count
            case .rejected:
                try await index.dropPendingCommit(pending)
            }
        }
        return landed
    }

    // MARK: Keys

    /// The keyring and pipelines for the vault's current key generation: kept from the last
    /// pass when the generation did not change, else built from the caller's grants.
    private func tools(for summary: VaultSummary) async throws -> Tools {
        if let tools = state.withLock({ $0.tools }), Int64(tools.keyring.newest.number) >= summary.keyGeneration {
            return tools
        }
        let grants: [WrappedVaultKey]
        do {
            grants = try await remote.vaultKeys()
        } catch {
            throw SyncClientError.remote(operation: "read the vault keys", underlying: error)
        }
        var keys: [VaultKey] = []
        for grant in grants {
            // A grant that does not open (not for us, not signed by a pinned member) is not used.
            if let key = try? openGrant(grant) { keys.append(key) }
        }
        guard keys.contains(where: { Int64($0.generation) == summary.keyGeneration }) else {
            throw SyncClientError.missingVaultKey(generation: summary.keyGeneration)
        }
        let keyring = try VaultKeyring(keys: keys, vaultID: remote.vaultID, parameters: configuration.chunkingParameters)
        let workers = max(1, configuration.pipelineWorkers)
        var openers: [UInt32: FileOpener] = [:]
        for generation in keyring.generations {
            openers[generation.number] = FileOpener(cipher: generation.chunks, workerCount: workers)
        }
        let tools = Tools(
            keyring: keyring,
            sealer: FileSealer(chunker: keyring.newest.chunker, cipher: keyring.newest.chunks, workerCount: workers),
            openers: openers)
        state.withLock { $0.tools = tools }
        return tools
    }

    /// The keyring of the current generation (loading it if no pass ran yet).
    func keyring() async throws -> VaultKeyring {
        let summary: VaultSummary
        do {
            summary = try await remote.vaultState()
        } catch {
            throw SyncClientError.remote(operation: "read the vault's state", underlying: error)
        }
        return try await tools(for: summary).keyring
    }

    // MARK: Status

    /// The folder's sync status.
    public func status() async throws -> SyncStatus {
        let counts = try await index.statusCounts()
        let (running, report, error) = state.withLock { ($0.running, $0.lastReport, $0.lastError) }
        let current: SyncStatus.State = running ? .syncing : error.map { .failed($0) } ?? .idle
        return SyncStatus(
            state: current, lastSync: counts.lastSync, pendingCommits: counts.pendingCommits,
            remoteChangesWaiting: counts.remoteChanges, syncedEntries: counts.syncedEntries, lastReport: report)
    }
}
