/// `backup-manifest.json`, written last into a backup directory: its presence says the backup
/// is complete, its figures what it holds. `coffred --data DIR` starts from such a directory;
/// one without a manifest is an interrupted backup and should be deleted.
struct BackupManifest: Codable, Sendable, Equatable {
    /// File name in the backup directory.
    static let fileName = "backup-manifest.json"

    /// 1.
    var formatVersion: Int
    /// When the database snapshot was taken, Unix seconds.
    var createdAt: Int64
    /// The coffred that wrote it.
    var coffredVersion: String
    /// The database copy's file name, size and SHA-256 (hex).
    var databaseFile: String
    var databaseBytes: Int64
    var databaseSHA256: String
    /// Blobs the database records, all present under `blobs/`, and their bytes.
    var blobs: Int64
    var blobBytes: Int64
}
