/// The body of a 409 answer to a commit that did not land: an error body (`error` is
/// `commit_conflict`) that also carries the `CommitRejection` — the vault's unchanged `seq` and
/// every conflicting entry with its reason and current state.
public struct CommitRejectionBody: Sendable, Codable, Equatable {
    /// Always `commit_conflict`.
    public var error: ErrorCode
    /// A fixed sentence for people.
    public var message: String
    /// The vault's `seq`, unchanged.
    public var seq: Int64
    /// One item per conflicting entry, in the order of the request.
    public var conflicts: [CommitConflict]

    /// The body for `rejection`.
    public init(_ rejection: CommitRejection) {
        error = .commitConflict
        message = "the commit conflicts with the vault's current state; nothing was changed"
        seq = rejection.seq
        conflicts = rejection.conflicts
    }

    /// The rejection it carries.
    public var rejection: CommitRejection { CommitRejection(seq: seq, conflicts: conflicts) }
}
