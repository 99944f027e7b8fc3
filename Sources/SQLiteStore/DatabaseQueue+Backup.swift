import CSQLite
import Dispatch

/// Online backup of a shared database.
extension DatabaseQueue {
    /// Copies the database into a new file at `path`, `pagesPerStep` pages per step
    /// (https://sqlite.org/backup.html). Each step is its own block on the writer queue, so writes
    /// queued meanwhile run between steps instead of waiting for the whole copy; since the source
    /// is the writer connection, those writes are copied into the backup rather than restarting
    /// it. A busy step is retried every 10 ms, up to `maxBusyRetries` times.
    ///
    /// The destination must not hold a database already. On failure it may hold a partial copy
    /// and should be deleted.
    @available(*, noasync, message: "blocks the calling thread; use the async overload")
    public func backup(to path: String, pagesPerStep: Int = 256, maxBusyRetries: Int = 500) throws {
        try refuseWriterWait("backup")
        let backup = try writerQueue.sync {
            try OnlineBackup(source: writer, destinationPath: path, pagesPerStep: pagesPerStep)
        }
        // Whatever happens, the backup is released on the writer queue: finishing it touches the
        // source connection.
        defer { writerQueue.sync { backup.abandon() } }
        var busyRetries = 0
        while true {
            switch try writerQueue.sync(execute: { try backup.step() }) {
            case .done:
                return try writerQueue.sync { try backup.finish() }
            case .more:
                busyRetries = 0
            case .busy:
                busyRetries += 1
                guard busyRetries <= maxBusyRetries else { throw OnlineBackup.busyError }
                sqlite3_sleep(10)
            }
        }
    }

    /// The async form of `backup(to:pagesPerStep:maxBusyRetries:)`: the copy is driven from a
    /// Dispatch thread while the calling task is suspended.
    public func backup(to path: String, pagesPerStep: Int = 256, maxBusyRetries: Int = 500) async throws {
        try Task.checkCancellation()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try self.backup(to: path, pagesPerStep: pagesPerStep, maxBusyRetries: maxBusyRetries)
                })
            }
        }
    }
}
