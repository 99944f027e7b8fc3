import Synchronization

/// Lets one maintenance task run at a time — garbage collection (timer or admin), fsck,
/// backup. A backup must not see GC delete a blob its database snapshot records, and two
/// collections would only race each other. A task that finds the gate taken is refused at
/// once (409 `maintenance_busy`; the timer skips its pass) rather than queued behind an fsck
/// that may take an hour.
final class MaintenanceGate: Sendable {
    private let running = Mutex<String?>(nil)

    /// Runs `body` if no other task is running; throws `maintenance_busy` otherwise.
    func run<Result: Sendable>(_ task: String, _ body: () async throws -> Result) async throws -> Result {
        let taken = running.withLock { current -> String? in
            if let current { return current }
            current = task
            return nil
        }
        if let taken {
            throw APIError(statusCode: 409, code: .maintenanceBusy, message: "\(taken) is running; try again when it ends")
        }
        defer { running.withLock { $0 = nil } }
        return try await body()
    }

    /// The task running now, if any.
    var current: String? { running.withLock { $0 } }
}
