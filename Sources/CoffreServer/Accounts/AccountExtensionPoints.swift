import CoffreProtocol
import SQLiteStore

/// Erases what another part of the server holds for a user when the account is deleted.
public protocol AccountErasureHook: Sendable {
    /// Runs inside the transaction that deletes the user, before the `users` row goes: deletes
    /// this part's rows of `userID` (rows referencing `users(id)` with `ON DELETE CASCADE` go
    /// by themselves). Returns work to run once that transaction has committed — removing blob
    /// files, say — or nil. Throwing rolls the whole deletion back.
    func eraseRows(ofUser userID: Int64, in db: Connection) throws -> (@Sendable () async -> Void)?
}

/// Adds files to a user's export archive.
public protocol AccountExportContributor: Sendable {
    /// Adds this part's files for `userID` to `archive`, under a folder of its own
    /// (e.g. `vaults/`). Called after the account's own files.
    func contribute(userID: Int64, to archive: AccountExportArchive) async throws
}

/// Adds figures to the admin `stats` answer.
public protocol ServerStatsContributor: Sendable {
    /// Fills this part's section of `stats`, reading from `db` (the same snapshot for every
    /// contributor).
    func contribute(to stats: inout ServerStats, in db: Connection) throws
}
