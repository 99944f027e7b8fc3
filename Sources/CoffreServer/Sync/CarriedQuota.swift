/// Who takes the quota for the blobs a commit carries (`SyncStore.commit(_:user:_:carrying:inline:quota:)`).
enum CarriedQuota: Sendable, Equatable {
    /// The caller reserved these bytes before the transaction, for the blobs it found new to
    /// the vault; the transaction charges the bytes actually new and gives back the rest.
    case reserved(Int64)
    /// The transaction finds the blobs new to the vault and reserves their bytes itself, with the
    /// conditional update of `QuotaService.reserve` (a commit whose new blobs do not fit throws
    /// its `quota_exceeded`), once the commit is known to land: no read before the write
    /// transaction, and nothing reserved for a commit that is rejected or replayed.
    case inTransaction

    /// The bytes reserved before the transaction.
    var reservedBytes: Int64 {
        switch self {
        case .reserved(let bytes): return bytes
        case .inTransaction: return 0
        }
    }
}
