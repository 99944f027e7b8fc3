import Foundation

/// One schema step: the SQL that takes the database from `version - 1` to `version`.
public struct Migration: Sendable, Equatable {
    /// The `PRAGMA user_version` the database has once this migration ran (1, 2, 3, ...).
    public let version: Int
    /// A short name, for errors and logs.
    public let name: String
    /// The script, run with `Connection.execute(_:)` inside the migration's transaction. It must
    /// not BEGIN, COMMIT or ROLLBACK itself.
    public let sql: String

    /// Describes one migration.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Loading migrations from a directory of numbered `.sql` files.
extension Migration {
    /// Largest migration file read, in bytes.
    static let maximumFileSize = 1 << 20
    /// Most migration files read from one directory.
    static let maximumFileCount = 10_000

    /// Loads the migrations of a directory of numbered scripts, `0001-create-users.sql`,
    /// `0002-add-devices.sql`, ... (the version is the leading number, the name what follows the
    /// dash). Pass a resource directory URL, e.g. `Bundle.module.url(forResource: "Migrations",
    /// withExtension: nil)`. Files not ending in `.sql` are ignored; a `.sql` file with another
    /// name shape, a file that is too large or not UTF-8 is an error.
    public static func load(fromDirectory directory: URL) throws(SQLiteError) -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .invalidMigration("cannot list migration directory \(directory.path)")
        }
        let scripts = names.filter { $0.hasSuffix(".sql") }.sorted()
        guard scripts.count <= maximumFileCount else {
            throw .invalidMigration("more than \(maximumFileCount) migration files in \(directory.path)")
        }
        var migrations: [Migration] = []
        for fileName in scripts {
            let (version, name) = try parse(fileName: fileName)
            let text = try readScript(directory.appendingPathComponent(fileName), fileName: fileName)
            migrations.append(Migration(version: version, name: name, sql: text))
        }
        return migrations
    }

    /// Splits `0001-create-users.sql` into (1, "create-users").
    static func parse(fileName: String) throws(SQLiteError) -> (version: Int, name: String) {
        let stem = fileName.dropLast(".sql".count)
        guard let dash = stem.firstIndex(of: "-") else {
            throw .invalidMigration("file \(fileName) is not named NNNN-name.sql")
        }
        let digits = stem[..<dash]
        let name = stem[stem.index(after: dash)...]
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let version = Int(digits), version > 0,
            !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else {
            throw .invalidMigration("file \(fileName) is not named NNNN-name.sql")
        }
        return (version, String(name))
    }

    /// Reads one script, bounded in size and required to be valid UTF-8.
    private static func readScript(_ url: URL, fileName: String) throws(SQLiteError) -> String {
        let data: Data
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            if let size = attributes[.size] as? NSNumber, size.intValue > maximumFileSize {
                throw SQLiteError.invalidMigration("file \(fileName) is larger than \(maximumFileSize) bytes")
            }
            data = try Data(contentsOf: url)
        } catch let error as SQLiteError {
            throw error
        } catch {
            throw .invalidMigration("cannot read migration file \(fileName)")
        }
        // Checked again after reading: the file may have grown in between.
        guard data.count <= maximumFileSize else {
            throw .invalidMigration("file \(fileName) is larger than \(maximumFileSize) bytes")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw .invalidMigration("file \(fileName) is not valid UTF-8")
        }
        return text
    }
}
