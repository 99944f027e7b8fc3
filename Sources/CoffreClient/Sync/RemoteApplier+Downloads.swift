/// The downloads of a `RemoteApplier` run, in parallel.
extension RemoteApplier {
    /// Runs the queued downloads, `transferConcurrency` at a time.
    func runDownloads() async throws {
        let queued = downloads
        downloads.removeAll()
        guard !queued.isEmpty else { return }
        context.progress.begin(.downloading, files: queued.count, bytes: queued.reduce(0) { $0 + Int64($1.attributes.size) })
        let downloader = context.downloader
        let progress = context.progress
        let limit = max(1, context.configuration.transferConcurrency)
        try await withThrowingTaskGroup(of: (Download, Result<DownloadOutcome, any Error>).self) { group in
            var next = 0
            while next < min(limit, queued.count) {
                let job = queued[next]
                group.addTask { try await Self.perform(job, with: downloader, progress: progress) }
                next += 1
            }
            while let (job, result) = try await group.next() {
                if next < queued.count {
                    let following = queued[next]
                    group.addTask { try await Self.perform(following, with: downloader, progress: progress) }
                    next += 1
                }
                finish(job, result)
                try await flushIfFull()
            }
        }
    }

    /// One download; a failure of this file alone is its result, anything else ends the pass.
    private static func perform(
        _ job: Download, with downloader: FileDownloader, progress: ProgressTracker
    ) async throws -> (Download, Result<DownloadOutcome, any Error>) {
        do {
            let outcome = try await downloader.download(job.attributes, to: job.path, expecting: job.expectation)
            progress.fileDone(bytes: Int64(job.attributes.size))
            return (job, .success(outcome))
        } catch let error where isEntryLevel(error) {
            return (job, .failure(error))
        }
    }

    private func finish(_ job: Download, _ result: Result<DownloadOutcome, any Error>) {
        switch result {
        case .success(.placed(let metadata, let chunks)):
            record(.agreed(agreedState(job.remote, job.attributes, path: job.path.onDisk, metadata: metadata, chunks: chunks)))
            report.downloadedFiles += 1
        case .success(.destinationChanged):
            didWork = true
        case .failure(let error):
            report.skipped.append(SyncSkip(path: job.path.onDisk, reason: .transferFailed(detail: "\(error)")))
        }
    }

    /// Errors that concern one entry (its bytes, its file) rather than the pass.
    static func isEntryLevel(_ error: any Error) -> Bool {
        error is PipelineError || error is CryptoFormatError || error is LocalFSError
    }
}
