import CoffreProtocol

/// Pulls the changes feed into the remote tree (DESIGN §7), page by page from the stored
/// cursor, opening each record. The server is not trusted to be consistent (DESIGN §6,
/// hardening): a page's cursor below the request's, an entry outside the page's rev range or
/// listed twice, or a feed ending below the highest seq this client has seen are refused.
struct FeedReader {
    /// Entries asked per page (the server's maximum).
    static let pageSize = 5_000
    /// Most entries accepted in one page: a page never splits a commit, so one may exceed
    /// `pageSize` up to the server's commit limit (10,000), never more.
    static let maximumPageEntries = 10_000

    let remote: any SyncRemote
    let index: SyncIndex
    let keyring: VaultKeyring

    /// Stores every change after the cursor; returns how many states came in. A cursor the
    /// server no longer serves (410) rewinds to a full resync, after which entries the feed
    /// no longer lists count as purged.
    func pull() async throws -> Int {
        var rewound = false
        var stored = 0
        while true {
            let (cursor, highest) = try await index.feedPosition()
            let answer: RemoteChanges
            do {
                answer = try await remote.changes(since: cursor, limit: Self.pageSize, wait: nil)
            } catch {
                throw SyncClientError.remote(operation: "read the changes feed", underlying: error)
            }
            switch answer {
            case .cursorGone:
                guard cursor > 0 else { throw SyncClientError.protocolViolation("the feed cannot be read from its start") }
                try await index.rewindFeed()
                rewound = true
            case .page(let page):
                try Self.check(page, since: cursor)
                let records = keyring.recordSessions()
                let entries = page.entries.map { open($0, with: records) }
                try await index.storeFeedPage(entries, cursor: page.cursor)
                stored += entries.count
                guard page.hasMore else {
                    guard page.cursor >= highest else { throw SyncClientError.feedWentBack(seen: highest, offered: page.cursor) }
                    if rewound { try await index.markPurgedEntries() }
                    return stored
                }
            }
        }
    }

    /// The rules every page obeys (docs/sync-engine.md, "The changes feed").
    static func check(_ page: ChangesPage, since: Int64) throws(SyncClientError) {
        guard page.cursor >= since else { throw .feedWentBack(seen: since, offered: page.cursor) }
        guard page.entries.count <= maximumPageEntries else { throw .protocolViolation("a feed page holds too many entries") }
        var seen = Set<EntryID>()
        for entry in page.entries {
            guard entry.rev > since, entry.rev <= page.cursor else {
                throw .protocolViolation("a feed entry's rev is outside its page")
            }
            guard !entry.entryId.isRoot, seen.insert(entry.entryId).inserted else {
                throw .protocolViolation("a feed page lists the root or an entry twice")
            }
        }
    }

    /// The remote state with its record opened; an unreadable record leaves no attributes.
    private func open(_ state: EntryState, with records: VaultKeyring.RecordSessions) -> RemoteEntry {
        let opened = try? records.open(state.record.bytes, entry: state.entryId, parent: state.parentId, kind: state.kind)
        return RemoteEntry(
            id: state.entryId, parentID: state.parentId, kind: state.kind, rev: state.rev, deleted: state.deleted,
            nameTag: state.nameTag, attributes: opened.map { EntryAttributes(record: $0.0, generation: $0.1.number) })
    }
}
