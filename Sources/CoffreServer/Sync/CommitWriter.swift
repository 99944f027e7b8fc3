import CoffreProtocol
import SQLiteStore

/// Writes a validated batch: one `revisions` row per entry (which holds the record), its
/// `revision_blobs` rows, and the entry's new current state in `entries`. Three statements are
/// prepared once per commit and stepped per row, so a batch of 1,000 entries costs 1,000 × 3
/// steps (plus one per distinct blob) and no parsing.
struct CommitWriter {
    private let db: Connection
    private let vault: Int64
    private let seq: Int64
    private let now: Int64
    private let insertRevision: Statement
    private let insertBlobReference: Statement
    private let upsertEntry: Statement

    /// A writer of revision `seq` in vault row `vault`, committed at `now`.
    init(db: Connection, vault: Int64, seq: Int64, now: Int64) throws {
        self.db = db
        self.vault = vault
        self.seq = seq
        self.now = now
        insertRevision = try db.prepare(
            """
            INSERT INTO revisions (vault, entry_id, rev, parent_id, kind, name_tag, deleted, record, created)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertBlobReference = try db.prepare(
            "INSERT INTO revision_blobs (revision, vault, hash, occurrences) VALUES (?, ?, ?, ?)")
        // UPSERT (https://sqlite.org/lang_upsert.html): a new entry is inserted, an existing one
        // takes the new state; `excluded` is the row that was to be inserted.
        upsertEntry = try db.prepare(
            """
            INSERT INTO entries (vault, entry_id, parent_id, kind, name_tag, deleted, rev, head)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (vault, entry_id) DO UPDATE SET
                parent_id = excluded.parent_id, kind = excluded.kind, name_tag = excluded.name_tag,
                deleted = excluded.deleted, rev = excluded.rev, head = excluded.head
            """)
    }

    /// Writes every change; each entry gets `rev = seq`.
    func write(_ changes: [EntryChange]) throws {
        for change in changes {
            let revision = try writeRevision(change)
            try writeBlobReferences(change.blobs, revision: revision)
            upsertEntry.reset()
            try upsertEntry.bind(vault, at: 1)
            try upsertEntry.bind(change.entryId, at: 2)
            try upsertEntry.bind(change.parentId, at: 3)
            try upsertEntry.bind(change.kind.code, at: 4)
            try upsertEntry.bind(change.nameTag.bytes, at: 5)
            try upsertEntry.bind(Int64(change.deleted ? 1 : 0), at: 6)
            try upsertEntry.bind(seq, at: 7)
            try upsertEntry.bind(revision, at: 8)
            while try upsertEntry.step() {}
        }
    }

    /// Inserts the revision row and returns its id.
    private func writeRevision(_ change: EntryChange) throws -> Int64 {
        insertRevision.reset()
        try insertRevision.bind(vault, at: 1)
        try insertRevision.bind(change.entryId, at: 2)
        try insertRevision.bind(seq, at: 3)
        try insertRevision.bind(change.parentId, at: 4)
        try insertRevision.bind(change.kind.code, at: 5)
        try insertRevision.bind(change.nameTag.bytes, at: 6)
        try insertRevision.bind(Int64(change.deleted ? 1 : 0), at: 7)
        try insertRevision.bind(change.record.bytes, at: 8)
        try insertRevision.bind(now, at: 9)
        while try insertRevision.step() {}
        return try db.lastInsertRowID
    }

    /// One row per distinct blob, counting how often the change lists it.
    private func writeBlobReferences(_ blobs: [BlobID], revision: Int64) throws {
        guard !blobs.isEmpty else { return }
        var occurrences: [(BlobID, Int64)]
        if blobs.count == 1 {
            occurrences = [(blobs[0], 1)]
        } else {
            occurrences = Dictionary(blobs.map { ($0, Int64(1)) }, uniquingKeysWith: +).map { ($0.key, $0.value) }
        }
        for (blob, count) in occurrences {
            insertBlobReference.reset()
            try insertBlobReference.bind(revision, at: 1)
            try insertBlobReference.bind(vault, at: 2)
            try insertBlobReference.bind(blob.bytes, at: 3)
            try insertBlobReference.bind(count, at: 4)
            while try insertBlobReference.step() {}
        }
    }
}
