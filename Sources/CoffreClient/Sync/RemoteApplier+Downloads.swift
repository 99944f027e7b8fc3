import CoffreProtocol

/// The downloads of a `RemoteApplier` run: fetched and written in parallel, placed in groups.
extension RemoteApplier {
    /// What a child task of `runDownloads` hands back.
    private enum TransferStep: Sendable {
        /// One download written to its temp file, or its own failure.
        case written(Download, Result<WrittenDownload, any Error>)
        /// A placement group done: its downloads and their outcomes, in order.
        case placed([(Download, WrittenDownload)], [PlacementGroup.Outcome])
    }

    /// Runs the queued downloads, `downloadConcurrency` at a time, in path order, and places the written ones
    /// in groups (`PlacementGroup`) of at most `placementGroupFiles` files or about
    /// `placementGroupBytes` bytes, one group at a time while the next downloads go on. Each
    /// group's index updates are recorded once the group is durably placed, and written with
    /// the next groups' in transactions of `updateBatchSize` (one per group rewrote the same
    /// index pages and waited for one fdatasync per 128 files; a crash before the write leaves
    /// placed files the next pass adopts, as a crash between placement and index always did).
    /// While a group is placed, new downloads start only as long as the files waiting and in
    /// flight are fewer than a group: at most `placementGroupFiles` placed, and
    /// `placementGroupFiles + downloadConcurrency` waiting or in flight, hold temp files (two
    /// descriptors each).
    func runDownloads() async throws {
        // In path order, so that a group's files share few folders (one fsync each): the plan
        // follows the feed, which mixes folders. Folders are all in place by now, so the
        // downloads' order is free.
        let queued = downloads.sorted { $0.path.onDisk.utf8.lexicographicallyPrecedes($1.path.onDisk.utf8) }
        downloads.removeAll()
        guard !queued.isEmpty else { return }
        context.progress.begin(.downloading, files: queued.count, bytes: queued.reduce(0) { $0 + Int64($1.attributes.size) })
        let configuration = context.configuration
        let downloader = context.downloader
        let progress = context.progress
        // One chunk-cache read for every inline manifest (most small files), not one per file.
        let inlineCopies = try await downloader.inlineCopies(for: queued.map(\.attributes))
        let placer = PlacementGroup(syncWidth: configuration.placementSyncWidth, faultHook: context.faultHook)
        let limit = max(1, configuration.downloadConcurrency)
        let groupFiles = max(1, configuration.placementGroupFiles)
        try await withThrowingTaskGroup(of: TransferStep.self) { group in
            var next = 0
            var inFlight = 0
            var waiting: [(Download, WrittenDownload)] = []
            var waitingBytes = 0
            var isPlacing = false
            while true {
                let drained = next == queued.count && inFlight == 0
                if !isPlacing, !waiting.isEmpty,
                    drained || waiting.count >= groupFiles || waitingBytes >= configuration.placementGroupBytes
                {
                    // Downloads that ended while the last group was placed can outnumber a group.
                    let members = Array(waiting.prefix(groupFiles))
                    waiting.removeFirst(members.count)
                    waitingBytes = waiting.reduce(0) { $0 + Int($1.0.attributes.size) }
                    isPlacing = true
                    group.addTask {
                        let outcomes = try await placer.place(members.map { PlacementGroup.Member(writer: $1.writer, expectation: $0.expectation) })
                        return .placed(members, outcomes)
                    }
                }
                while inFlight < limit, next < queued.count, waiting.count + inFlight < groupFiles || !isPlacing {
                    let job = queued[next]
                    group.addTask {
                        .written(job, try await Self.write(job, with: downloader, inlineCopies: inlineCopies, progress: progress))
                    }
                    next += 1
                    inFlight += 1
                }
                guard let step = try await group.next() else { break }
                switch step {
                case .written(let job, .success(let written)):
                    inFlight -= 1
                    waiting.append((job, written))
                    waitingBytes += Int(job.attributes.size)
                case .written(let job, .failure(let error)):
                    inFlight -= 1
                    report.skipped.append(SyncSkip(path: job.path.onDisk, reason: .transferFailed(detail: "\(error)")))
                case .placed(let members, let outcomes):
                    isPlacing = false
                    for ((job, written), outcome) in zip(members, outcomes) { finish(job, chunks: written.chunks, outcome) }
                    try await flushIfFull()
                }
            }
        }
    }

    /// One download into its temp file; a failure of this file alone is its result, anything
    /// else ends the pass.
    private static func write(
        _ job: Download, with downloader: FileDownloader, inlineCopies: [BlobID: ChunkLocation], progress: ProgressTracker
    ) async throws -> Result<WrittenDownload, any Error> {
        do {
            let written = try await downloader.write(job.attributes, to: job.path, inlineCopies: inlineCopies)
            progress.fileDone(bytes: Int64(job.attributes.size))
            return .success(written)
        } catch let error where isEntryLevel(error) {
            return .failure(error)
        }
    }

    private func finish(_ job: Download, chunks: [ChunkReference], _ outcome: PlacementGroup.Outcome) {
        switch outcome {
        case .placed(let metadata):
            record(.agreed(agreedState(job.remote, job.attributes, path: job.path.onDisk, metadata: metadata, chunks: chunks)))
            report.downloadedFiles += 1
        case .destinationChanged:
            didWork = true
        case .failed(let error):
            report.skipped.append(SyncSkip(path: job.path.onDisk, reason: .transferFailed(detail: "\(error)")))
        }
    }

    /// Errors that concern one entry (its bytes, its file) rather than the pass.
    static func isEntryLevel(_ error: any Error) -> Bool {
        error is PipelineError || error is CryptoFormatError || error is LocalFSError
    }
}
