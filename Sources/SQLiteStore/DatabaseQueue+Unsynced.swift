/// Writes a crash may take back, for bookkeeping that is rebuilt after a restart anyway.
extension DatabaseQueue {
    /// Like the async `write(_:)`, but the commit does not wait for the log to reach the disk:
    /// the writer runs it with `PRAGMA synchronous = NORMAL` and then returns to its own level.
    ///
    /// In WAL mode such a commit is atomic and never corrupts the database; only a power loss or
    /// an operating-system crash can roll it back (https://sqlite.org/pragma.html#pragma_synchronous,
    /// https://sqlite.org/wal.html#performance_considerations). The log is written in order, so
    /// the next durable commit syncs this one with it: it can only be lost together with every
    /// commit after it. A process crash loses nothing. Use it only for changes the application
    /// recomputes or can lose without harm (a quota reservation corrected at the next start);
    /// anything a client is told is stored goes through `write`.
    ///
    /// When the writer's level cannot be restored the error is thrown (after the commit), and
    /// the writer refuses every later write rather than commit without syncing by mistake.
    public func writeWithoutSync<Result: Sendable>(
        _ body: @escaping @Sendable (Connection) throws -> Result
    ) async throws -> Result {
        try await onWriterQueue { try self.unsyncedTransaction(body) }
    }

    /// Runs on the writer queue.
    private func unsyncedTransaction<Result>(_ body: (Connection) throws -> Result) throws -> Result {
        let level = writer.options.synchronous
        guard level != .normal else { return try writerTransaction(body) }
        if let writerFault { throw writerFault }
        try writer.execute("PRAGMA synchronous = NORMAL")
        let result: Swift.Result<Result, any Error> = Swift.Result { try writerTransaction(body) }
        do {
            try writer.execute("PRAGMA synchronous = \(level.rawValue)")
        } catch {
            writerFault = .misuse("the writer's synchronous level could not be restored")
            throw error
        }
        return try result.get()
    }
}
