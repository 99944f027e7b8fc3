import CoffreProtocol
import HTTPServer

/// The downloads of a `RemoteApplier` run: fetched and written in parallel, placed in groups.
extension RemoteApplier {
    /// What a child task of `runDownloads` hands back.
    private enum TransferStep: Sendable {
        /// Downloads written to their temp files, or their own failures.
        case written([(Download, Result<WrittenDownload, any Error>)])
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
    /// descriptors each). Small files of one chunk (`FileDownloader.batchableChunk`) go in
    /// units of up to `downloadConcurrency` files whose blobs are fetched together
    /// (`SyncRemote.getBlobs`, one request where it was one per file); a unit counts as its
    /// files against that limit.
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
        let placer = PlacementGroup(
            syncWidth: configuration.placementSyncWidth, fileSystemSyncFiles: configuration.placementFileSystemSyncFiles,
            faultHook: context.faultHook)
        let limit = max(1, configuration.downloadConcurrency)
        let groupFiles = max(1, configuration.placementGroupFiles)
        let units = try Self.units(of: queued, batchSize: limit) { try downloader.batchableChunk(of: $0.attributes, inlineCopies: inlineCopies) }
        try await withThrowingTaskGroup(of: TransferStep.self) { group in
            var next = 0
            var inFlight = 0
            var waiting: [(Download, WrittenDownload)] = []
            var waitingBytes = 0
            var isPlacing = false
            while true {
                let drained = next == units.count && inFlight == 0
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
                while inFlight < limit, next < units.count, waiting.count + inFlight < groupFiles || !isPlacing {
                    let unit = units[next]
                    switch unit {
                    case .alone(let job):
                        group.addTask {
                            .written([(job, try await Self.write(job, with: downloader, inlineCopies: inlineCopies, progress: progress))])
                        }
                        inFlight += 1
                    case .batch(let members):
                        group.addTask { .written(try await Self.write(members, with: downloader, progress: progress)) }
                        inFlight += members.count
                    }
                    next += 1
                }
                guard let step = try await group.next() else { break }
                switch step {
                case .written(let results):
                    inFlight -= results.count
                    for (job, result) in results {
                        switch result {
                        case .success(let written):
                            waiting.append((job, written))
                            waitingBytes += Int(job.attributes.size)
                        case .failure(let error):
                            report.skipped.append(SyncSkip(path: job.path.onDisk, reason: .transferFailed(detail: "\(error)")))
                        }
                    }
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
        _ job: Download, with downloader: FileDownloader, inlineCopies: LocalChunkCopies, progress: ProgressTracker
    ) async throws -> Result<WrittenDownload, any Error> {
        do {
            let written = try await downloader.write(job.attributes, to: job.path, inlineCopies: inlineCopies)
            progress.fileDone(bytes: Int64(job.attributes.size))
            return .success(written)
        } catch let error where isEntryLevel(error) {
            return .failure(error)
        }
    }

    /// Small files fetched together: the blobs in one `getBlobs`, then every file written and
    /// verified in one blocking call; a failure of one file (or of the fetch, when it concerns
    /// the entries) is that file's result, anything else ends the pass.
    private static func write(
        _ members: [(Download, ChunkReference)], with downloader: FileDownloader, progress: ProgressTracker
    ) async throws -> [(Download, Result<WrittenDownload, any Error>)] {
        let fetched: [Result<[UInt8], any Error>]
        do {
            fetched = try await downloader.fetchBatch(members.map(\.1))
        } catch let error where isEntryLevel(error) {
            return members.map { ($0.0, .failure(error)) }
        }
        let writers = try await HTTPBlockingWork.run { () throws -> [Result<PlacementWriter, any Error>] in
            try zip(members, fetched).map { member, outcome in
                do {
                    return .success(try downloader.writeFetched(member.0.attributes, chunk: member.1, fetched: outcome, to: member.0.path))
                } catch let error where isEntryLevel(error) {
                    return .failure(error)
                }
            }
        }
        var results: [(Download, Result<WrittenDownload, any Error>)] = []
        results.reserveCapacity(members.count)
        for ((job, chunk), writer) in zip(members, writers) {
            switch writer {
            case .success(let writer):
                try downloader.faultHook?(.beforePlacement)
                progress.fileDone(bytes: Int64(job.attributes.size))
                results.append((job, .success(WrittenDownload(writer: writer, chunks: [chunk]))))
            case .failure(let error):
                results.append((job, .failure(error)))
            }
        }
        return results
    }

    /// One child task's work in `runDownloads`.
    private enum DownloadUnit: Sendable {
        /// A file downloaded alone.
        case alone(Download)
        /// Small files whose one chunk each is fetched together.
        case batch([(Download, ChunkReference)])
    }

    /// `queued` as units, in order: the files `batchable` gives a chunk for in batches of at
    /// most `batchSize` (each batch where its first file was), the others alone.
    private static func units(
        of queued: [Download], batchSize: Int, batchable: (Download) throws -> ChunkReference?
    ) rethrows -> [DownloadUnit] {
        var units: [DownloadUnit] = []
        var batch: [(Download, ChunkReference)] = []
        var batchSlot: Int?
        for job in queued {
            guard let chunk = try batchable(job) else {
                units.append(.alone(job))
                continue
            }
            if batchSlot == nil {
                batchSlot = units.count
                units.append(.batch([]))
            }
            batch.append((job, chunk))
            if batch.count == batchSize, let slot = batchSlot {
                units[slot] = .batch(batch)
                batch = []
                batchSlot = nil
            }
        }
        if let slot = batchSlot { units[slot] = .batch(batch) }
        return units
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
