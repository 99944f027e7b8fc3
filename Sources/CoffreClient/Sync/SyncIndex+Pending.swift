import CoffreProtocol
import Foundation
import SQLiteStore

/// A commit written down before it is sent: its exact request (commit id included, records
/// with their nonces) and the synced state each entry will have once it lands.
struct PendingCommit: Sendable {
    /// One entry of the commit and what the synced tree records once it lands.
    struct Entry: Sendable {
        /// The agreed state; for a tombstone, the last state before it.
        let state: SyncedEntry
        let tombstone: Bool
        let nameTag: NameTag
    }

    let request: CommitRequest
    let entries: [Entry]

    var id: CommitID? { request.commitId }
}

extension SyncIndex {
    /// Writes a commit down before sending it, so a retry after a crash sends the very same
    /// request (same id, same bytes) and the server answers the original result.
    func addPendingCommit(_ commit: PendingCommit) async throws(SyncClientError) {
        guard let id = commit.id else { throw .protocolViolation("a pending commit needs a commit id") }
        let request = commit.request.binaryEncoded()
        try await write("record a pending commit") { db in
            let position = (try db.fetchValue("SELECT max(position) FROM pending_commits", as: Int64?.self) ?? nil) ?? 0
            try db.execute("INSERT INTO pending_commits (commit_id, position) VALUES (?, ?)", [id.bytes, position + 1])
            try db.execute("INSERT INTO pending_requests (commit_id, request) VALUES (?, ?)", [id.bytes, request])
            for entry in commit.entries {
                try db.execute(Self.pendingEntryInsert, Self.entryArguments(entry.state, extra: [id.bytes, entry.tombstone, entry.nameTag.bytes]))
            }
        }
    }

    /// The commits written down and not yet answered, oldest first.
    func pendingCommits() async throws(SyncClientError) -> [PendingCommit] {
        try await read("read pending commits") { db in
            let commits = try db.fetchAll(
                "SELECT commit_id, request FROM pending_commits JOIN pending_requests USING (commit_id) ORDER BY position"
            ) { row in
                (try row.blob(at: 0), try row.blob(at: 1))
            }
            return try commits.map { id, requestBytes in
                let request = try Self.storedRequest(requestBytes)
                let entries = try db.fetchAll(
                    "SELECT tombstone, name_tag, \(Self.entrySelectList) FROM pending_entries WHERE commit_id = ?", [id]
                ) { row in
                    guard let tag = NameTag(bytes: try row.blob(at: 1)) else {
                        throw SQLiteError.misuse("index holds a malformed name tag")
                    }
                    return PendingCommit.Entry(state: try Self.syncedEntry(row, from: 2), tombstone: try row.int64(at: 0) != 0, nameTag: tag)
                }
                return PendingCommit(request: request, entries: entries)
            }
        }
    }

    /// A pending commit's request as written down: the binary form it is sent in
    /// (`CommitRequest.binaryEncoded`, docs/protocol.md "Binary encodings"), which needs no
    /// encoder pass and is about half the JSON. An index written before held JSON, which
    /// begins with "{" where the binary form begins with its version byte (1).
    static func storedRequest(_ bytes: [UInt8]) throws -> CommitRequest {
        if bytes.first == UInt8(ascii: "{") { return try JSONDecoder().decode(CommitRequest.self, from: Data(bytes)) }
        return try CommitRequest(binary: bytes, limits: .client)
    }

    /// The commit landed at `seq`: its entries become agreed at that rev (tombstones leave
    /// the synced tree), the remote tree takes their new states unless the feed already
    /// brought newer ones, and the pending record goes — one transaction.
    ///
    /// When the feed cursor stands at `seq - 1`, it moves to `seq`: a vault's seq grows by
    /// exactly one per commit (docs/sync-engine.md, "Commits", step 4), so the feed after
    /// `seq - 1` up to `seq` lists exactly this commit's entries — the states just stored —
    /// and reading them back would change nothing. Any other device's commit in between
    /// leaves a gap, the cursor stays, and the next pull reads both (this one's entries come
    /// back clean: the synced tree holds their rev).
    func completePendingCommit(_ commit: PendingCommit, seq: Int64) async throws(SyncClientError) {
        guard let id = commit.id else { return }
        try await write("record a commit that landed") { db in
            for entry in commit.entries {
                var state = entry.state
                state.rev = seq
                state.remoteDeleted = false
                try Self.storeRemoteUnlessNewer(RemoteEntry(synced: state, nameTag: entry.nameTag, deleted: entry.tombstone), in: db)
                // A folder moved here: the synced paths of everything below it follow, as for a
                // folder moved by the vault (RemoteApplier), or the next scan finds them missing.
                if !entry.tombstone, state.kind == .folder,
                    let old = try db.fetchValue("SELECT path FROM synced WHERE entry_id = ?", [state.id.bytes], as: String.self),
                    old != state.path
                {
                    try Self.apply(.subtreeMoved(from: old, to: state.path), in: db)
                }
                // The remote row needs no other update: it was just stored clean at this rev,
                // or holds a newer state that stays as the feed brought it...
                if entry.tombstone {
                    try Self.removeSynced(state.id, in: db)
                    // ...except that a newer live state from another device must still reach
                    // this side.
                    try db.execute("UPDATE remote SET dirty = (deleted = 0) WHERE entry_id = ? AND rev > ?", [state.id.bytes, seq])
                } else {
                    try Self.storeSynced(state, in: db)
                }
            }
            // Takes its request and entries with it (ON DELETE CASCADE).
            try db.execute("DELETE FROM pending_commits WHERE commit_id = ?", [id.bytes])
            try db.execute(
                "UPDATE state SET cursor = ?, highest_seq = max(highest_seq, ?) WHERE id = 1 AND cursor = ?",
                [seq, seq, seq - 1])
        }
    }

    /// Forgets a pending commit the server refused (nothing of it landed).
    func dropPendingCommit(_ commit: PendingCommit) async throws(SyncClientError) {
        guard let id = commit.id else { return }
        try await write("drop a refused commit") { db in
            try db.execute("DELETE FROM pending_commits WHERE commit_id = ?", [id.bytes])
        }
    }
}
