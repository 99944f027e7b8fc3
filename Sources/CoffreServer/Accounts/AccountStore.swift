import Logging
import SQLiteStore

/// The account services' way into the database: runs a body on the writer or a reader of
/// `ServerDatabase` and turns every failure that is not an `APIError` (SQLite, crypto) into
/// `APIError.internalError`, logging what happened. Only the operation name and the error's own
/// description are logged; SQLiteStore and CoffreCrypto errors never hold bound values or keys.
struct AccountStore: Sendable {
    let database: ServerDatabase
    let logger: Logger

    /// Runs `body` in an IMMEDIATE transaction; committed when it returns.
    func write<Result: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (Connection) throws -> Result
    ) async throws(APIError) -> Result {
        try await mapping(operation) { try await database.queue.write(body) }
    }

    /// Like `write`, for bookkeeping the next start recomputes: the commit does not wait for
    /// the disk (`DatabaseQueue.writeWithoutSync`; a power loss may take it back).
    func writeWithoutSync<Result: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (Connection) throws -> Result
    ) async throws(APIError) -> Result {
        try await mapping(operation) { try await database.queue.writeWithoutSync(body) }
    }

    /// Runs `body` on a consistent read snapshot.
    func read<Result: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (Connection) throws -> Result
    ) async throws(APIError) -> Result {
        try await mapping(operation) { try await database.queue.read(body) }
    }

    /// Runs `work`, turning its failure into an `APIError` (`mapped`).
    private func mapping<Result: Sendable>(
        _ operation: String, _ work: () async throws -> Result
    ) async throws(APIError) -> Result {
        do {
            return try await work()
        } catch {
            throw mapped(error, operation)
        }
    }

    /// Logs and hides anything that is not already an `APIError`.
    func mapped(_ error: any Error, _ operation: String) -> APIError {
        if let error = error as? APIError { return error }
        logger.error("accounts: \(operation) failed", metadata: ["error": "\(error)"])
        return .internalError
    }
}

extension Connection {
    /// Adds one to a `server_counters` row (creating it).
    func incrementCounter(_ name: String) throws(SQLiteError) {
        try execute(
            "INSERT INTO server_counters(name, value) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1",
            [name])
    }
}
