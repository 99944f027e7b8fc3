/// What one `SyncEngine.syncOnce()` pass did.
public struct SyncReport: Sendable, Equatable {
    /// Files whose content was sent (new or changed), and the blob bytes that went on the wire
    /// (blobs the server already held are not sent, so this can be far below the file sizes).
    public var uploadedFiles = 0
    public var uploadedBytes: Int64 = 0
    /// Files written here from the vault, the blob bytes fetched, and the chunk bytes copied
    /// from files already on disk instead (delta downloads).
    public var downloadedFiles = 0
    public var downloadedBytes: Int64 = 0
    public var copiedBytes: Int64 = 0
    /// Folders and symlinks created, entries moved or renamed, entries deleted — here
    /// (applying the vault) and there (committing this folder's changes).
    public var localChanges = 0
    public var remoteChanges = 0
    /// Both sides changed one file: the copy kept under a conflict name.
    public var conflicts: [SyncConflict] = []
    /// What was left out, and why.
    public var skipped: [SyncSkip] = []
    /// Rounds of pull–plan–execute the pass took.
    public var rounds = 0
    /// True when the pass ended with the folder and the vault matching and nothing left out.
    public var isIdentical = false

    /// True when the pass changed nothing on either side.
    public var changedNothing: Bool {
        uploadedFiles == 0 && downloadedFiles == 0 && localChanges == 0 && remoteChanges == 0 && conflicts.isEmpty
    }

    /// An empty report.
    public init() {}
}

/// A file both sides changed: the version from the vault kept the path; this side's version
/// was kept beside it under `conflictCopy` (`NAME (conflict DEVICE YYYY-MM-DD HHMMSS).EXT`).
public struct SyncConflict: Sendable, Equatable {
    /// The file's path, relative to the sync folder.
    public let path: String
    /// The conflict copy's path, relative to the sync folder.
    public let conflictCopy: String

    /// One conflict.
    public init(path: String, conflictCopy: String) {
        self.path = path
        self.conflictCopy = conflictCopy
    }
}

/// Progress of a pass, for a progress line: files and bytes done out of what the current
/// round plans to transfer (the totals grow when a later round finds more).
public struct SyncProgress: Sendable, Equatable {
    /// What the pass is doing.
    public enum Phase: Sendable, Equatable {
        case scanning
        case downloading
        case uploading
        case committing
    }

    public var phase: Phase
    public var filesDone: Int
    public var filesTotal: Int
    /// Plaintext bytes of the files done and planned.
    public var bytesDone: Int64
    public var bytesTotal: Int64

    /// One progress reading.
    public init(phase: Phase, filesDone: Int, filesTotal: Int, bytesDone: Int64, bytesTotal: Int64) {
        self.phase = phase
        self.filesDone = filesDone
        self.filesTotal = filesTotal
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
    }
}
