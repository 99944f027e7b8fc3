import CoffreProtocol

/// What a commit did: it landed (200) or it was refused with every conflict listed (409).
public enum CommitOutcome: Sendable, Equatable {
    /// The commit landed, or had already landed (a retry of the same commit id).
    case committed(CommitReceipt)
    /// Nothing changed; the conflicts say why.
    case rejected(CommitRejection)
}
