import Foundation

/// Applies numbered migrations in order, tracking the schema version in `PRAGMA user_version`
/// (https://sqlite.org/pragma.html#pragma_user_version).
///
/// Each pending migration runs in its own IMMEDIATE transaction together with
/// `PRAGMA user_version = N`, so a failing migration leaves both the schema and the version as
/// they were. The version is re-read inside each transaction, so two processes migrating the
/// same file do not apply a step twice. A database whose version is newer than the newest
/// migration is refused.
public struct Migrator: Sendable {
    /// The migrations, sorted, with versions 1, 2, ... N.
    public let migrations: [Migration]

    /// The version a fully migrated database has (0 when there are no migrations).
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Checks that the versions are exactly 1...N with no gap or duplicate (a gap usually means
    /// a missing file).
    public init(_ migrations: [Migration]) throws(SQLiteError) {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (offset, migration) in sorted.enumerated() where migration.version != offset + 1 {
            throw .invalidMigration(
                "migration versions must be 1...\(sorted.count) without gaps or duplicates; "
                    + "found \(migration.version) (\(migration.name)) at position \(offset + 1)")
        }
        self.migrations = sorted
    }

    /// Loads the migrations of a directory of `NNNN-name.sql` files (see `Migration.load(fromDirectory:)`).
    public init(directory: URL) throws(SQLiteError) {
        try self.init(try Migration.load(fromDirectory: directory))
    }

    /// The schema version stored in the database.
    public static func userVersion(of connection: Connection) throws(SQLiteError) -> Int {
        try connection.fetchValue("PRAGMA user_version", as: Int.self) ?? 0
    }

    /// Applies every pending migration to `connection`, in order, and returns the versions applied.
    ///
    /// Throws `SQLiteError.databaseTooNew` when the database is ahead of this code,
    /// `.migrationFailed` when a script fails (that migration and later ones are not applied), and
    /// `.misuse` when called inside a transaction. Errors are always `SQLiteError`.
    @discardableResult
    public func migrate(_ connection: Connection) throws -> [Int] {
        guard !connection.isInTransaction else {
            throw SQLiteError.misuse("migrate called inside a transaction; each migration needs its own")
        }
        var applied: [Int] = []
        while let version = try connection.transaction(.immediate, applyNext) {
            applied.append(version)
        }
        return applied
    }

    /// Applies the migration after the database's current version, inside the caller's
    /// transaction. Returns its version, or nil when the database is up to date.
    private func applyNext(_ connection: Connection) throws(SQLiteError) -> Int? {
        let current = try Self.userVersion(of: connection)
        guard current >= 0 else { throw .invalidMigration("database user_version \(current) is negative") }
        guard current <= latestVersion else { throw .databaseTooNew(userVersion: current, latestKnown: latestVersion) }
        guard current < latestVersion else { return nil }
        let migration = migrations[current]
        do throws(SQLiteError) {
            try connection.execute(migration.sql)
            // A script that ran COMMIT or ROLLBACK would have broken the one-transaction rule.
            guard connection.isInTransaction else {
                throw SQLiteError.misuse("the script ended the migration's transaction")
            }
            // Schema changes can leave rows pointing nowhere; the ALTER TABLE procedure ends with
            // this check (https://sqlite.org/lang_altertable.html#otheralter).
            let violations = try connection.fetchValues("PRAGMA foreign_key_check", as: String.self)
            guard violations.isEmpty else {
                let tables = Set(violations).sorted().joined(separator: ", ")
                throw SQLiteError.misuse("foreign key violations in \(tables)")
            }
            // The version cannot be a bound parameter in a PRAGMA; it is an integer we control.
            try connection.execute("PRAGMA user_version = \(migration.version)")
        } catch {
            throw .migrationFailed(version: migration.version, name: migration.name, underlying: error)
        }
        return migration.version
    }
}
