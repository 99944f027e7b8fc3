// Sync codes (docs/protocol.md, "Sync", lists each with its status).
extension ErrorCode {
    /// 400: the request breaks a rule or limit of the sync engine; the message says which.
    public static let invalidRequest = ErrorCode(rawValue: "invalid_request")
    /// 409: the vault's state does not allow it (id taken, key generation moved on, last owner).
    public static let stateConflict = ErrorCode(rawValue: "state_conflict")
    /// 409: the commit did not land; the body lists every conflict (`CommitRejectionBody`).
    public static let commitConflict = ErrorCode(rawValue: "commit_conflict")
    /// 409: a commit id was reused for other changes.
    public static let commitIDReused = ErrorCode(rawValue: "commit_id_reused")
    /// 409: the feed cursor is ahead of the vault (the server lost commits the client saw).
    public static let cursorAhead = ErrorCode(rawValue: "cursor_ahead")
    /// 410: the feed cursor is older than the retained history; resync from 0.
    public static let cursorGone = ErrorCode(rawValue: "cursor_gone")
    /// 503: too many long-poll requests are waiting; retry after `Retry-After` seconds.
    public static let tooManyWaiters = ErrorCode(rawValue: "too_many_waiters")
    /// 400: the uploaded bytes do not hash to the blob id (SHA-256).
    public static let blobHashMismatch = ErrorCode(rawValue: "blob_hash_mismatch")
    /// 400: the body holds a different number of bytes than announced.
    public static let blobSizeMismatch = ErrorCode(rawValue: "blob_size_mismatch")
    /// 400: a blob-batch body breaks its framing (`BlobBatchFraming`).
    public static let malformedBatch = ErrorCode(rawValue: "malformed_batch")
    /// 400: a binary commit body (`CommitRequest+Binary`) breaks its layout: truncated,
    /// trailing bytes, an unknown version byte or an invalid field value.
    public static let malformedBinary = ErrorCode(rawValue: "malformed_binary")
    /// 411: a blob upload needs a Content-Length (RFC 9110 §15.5.12).
    public static let lengthRequired = ErrorCode(rawValue: "length_required")
    /// 507: the server's disk is short of space (RFC 4918 §11.5).
    public static let insufficientStorage = ErrorCode(rawValue: "insufficient_storage")
    /// 409: a maintenance task (GC, fsck, backup) is already running.
    public static let maintenanceBusy = ErrorCode(rawValue: "maintenance_busy")
}
