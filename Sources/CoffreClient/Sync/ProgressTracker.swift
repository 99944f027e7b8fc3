import Synchronization

/// Counts files and bytes done against a round's plan and hands each reading to the caller's
/// progress callback (the CLI's progress line). Transfers running in parallel report here.
final class ProgressTracker: Sendable {
    private let state: Mutex<SyncProgress>
    private let callback: (@Sendable (SyncProgress) -> Void)?

    init(callback: (@Sendable (SyncProgress) -> Void)?) {
        self.callback = callback
        state = Mutex(SyncProgress(phase: .scanning, filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0))
    }

    /// Starts a phase that plans `files` files of `bytes` plaintext bytes.
    func begin(_ phase: SyncProgress.Phase, files: Int = 0, bytes: Int64 = 0) {
        publish { progress in
            progress = SyncProgress(phase: phase, filesDone: 0, filesTotal: files, bytesDone: 0, bytesTotal: bytes)
        }
    }

    /// One file of `bytes` bytes is done.
    func fileDone(bytes: Int64) {
        publish { progress in
            progress.filesDone += 1
            progress.bytesDone += bytes
        }
    }

    private func publish(_ change: (inout SyncProgress) -> Void) {
        let reading = state.withLock { progress in
            change(&progress)
            return progress
        }
        callback?(reading)
    }
}
