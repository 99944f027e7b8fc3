/// Moments of a pass where the tests step in: to stop the engine as a `kill -9` would (the
/// next run must resume without losing or duplicating anything), or to change a file under
/// the engine's feet. The hook (`SyncEngine.Configuration.faultHook`, internal) is called at
/// each; when it throws, the error ends the pass at once, with no cleanup a dying process
/// would not do either.
enum SyncFaultPoint: Sendable, Equatable {
    /// A file is about to be opened for upload; an error thrown here is taken as open(2)'s.
    case openingForUpload(path: String)
    /// A file is open for upload and its metadata noted; no byte is read yet.
    case readingForUpload(path: String)
    /// A batch's blobs are on the server; its commit is not written down yet.
    case afterBlobsUploaded
    /// The commit is written down in the index; it has not been sent.
    case afterCommitRecorded
    /// The server applied the commit; its answer is not recorded.
    case afterCommitLanded
    /// A run of chunks that a synced file holds is about to be copied from it into a
    /// download's temp file; the file passed its first check (`SyncedRangeCopier`).
    case copyingUnchangedRange(path: String)
    /// A download's copied runs are in its temp file; their sources are not checked again yet.
    case unchangedRangesCopied
    /// A download is in its temp file, verified, not yet handed to its placement group.
    case beforePlacement
    /// A download's temp file is about to be fsynced beside the rest of its group; a
    /// `LocalFSError` thrown here is taken as that fsync(2)'s.
    case syncingDownload(path: String)
    /// A placement group's temp files are written and about to get their mode and mtime and
    /// be made durable by one syncfs(2) (groups of at least
    /// `SyncConfiguration.placementFileSystemSyncFiles` files); a `LocalFSError` thrown here
    /// is taken as that syncfs's.
    case syncingFileSystem
    /// Every temp file of a placement group is durable; none is renamed yet.
    case downloadsSynced
    /// A download is about to be checked against its destination and renamed into place; a
    /// `LocalFSError` thrown here is taken as the rename's.
    case placingDownload(path: String)
    /// A placement group's files are renamed into place; their folders are not fsynced yet.
    case downloadsRenamed
    /// A folder that gained downloaded names is about to be fsynced (`path` is "" for the
    /// sync folder itself); a `LocalFSError` thrown here is taken as that fsync(2)'s.
    case syncingFolder(path: String)
    /// A placement group is in place, durably; the index does not know yet.
    case afterPlacement
}

/// Called at every `SyncFaultPoint`; throwing ends the pass there.
typealias SyncFaultHook = @Sendable (SyncFaultPoint) throws -> Void
