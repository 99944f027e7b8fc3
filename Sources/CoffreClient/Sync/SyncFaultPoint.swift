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
    /// A download is in its temp file, verified, not yet renamed into place.
    case beforePlacement
    /// A download is in place; the index does not know yet.
    case afterPlacement
}

/// Called at every `SyncFaultPoint`; throwing ends the pass there.
typealias SyncFaultHook = @Sendable (SyncFaultPoint) throws -> Void
