/// One page of a vault's changes feed (`GET …/changes?since=SEQ&limit=N&wait=S`, DESIGN §7).
public struct ChangesPage: Sendable, Codable, Equatable {
    /// Entry states with `since < rev ≤ cursor`, ordered by `rev` then entry id; tombstones
    /// included. A page never splits the entries of one commit.
    public var entries: [EntryState]
    /// The `since` for the next request.
    public var cursor: Int64
    /// True when more changes are already waiting after `cursor`.
    public var hasMore: Bool

    /// One page.
    public init(entries: [EntryState], cursor: Int64, hasMore: Bool) {
        self.entries = entries
        self.cursor = cursor
        self.hasMore = hasMore
    }
}
