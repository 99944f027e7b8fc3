import CoffreProtocol
import SQLiteStore

/// Writes a validated batch: each entry's new current state in `entries`, one `revisions` row
/// per entry (which holds the record) and its `revision_blobs` rows. The three statements come
/// from the writer connection's statement cache (`Connection.withStatement`): parsed once per
/// connection, not per commit — a single-entry commit would otherwise spend more on parsing
/// them than on running them — and stepped per row, so a batch of 1,000 entries costs
/// 1,000 × 3 steps (plus one per distinct blob).
///
/// Revision ids are handed out here, from one past the largest, as SQLite would
/// (https://sqlite.org/autoinc.html): the entry row names its head revision before that row
/// exists, and the revision names its entry's integer id (`CommitOrderSchema`).
struct CommitWriter {
    private let db: Connection
    private let vault: Int64
    private let seq: Int64
    private let now: Int64
    private let firstRevision: Int64

    static let insertRevisionSQL = """
        INSERT INTO revisions (id, vault, entry, rev, parent_id, kind, name_tag, deleted, record, created)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let insertBlobReferenceSQL = "INSERT INTO revision_blobs (revision, vault, hash, occurrences) VALUES (?, ?, ?, ?)"
    // UPSERT (https://sqlite.org/lang_upsert.html): a new entry is inserted, an existing one
    // takes the new state; `excluded` is the row that was to be inserted. RETURNING gives the
    // row's id either way (https://sqlite.org/lang_returning.html).
    static let upsertEntrySQL = """
        INSERT INTO entries (vault, entry_id, parent_id, kind, name_tag, deleted, rev, head)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (vault, entry_id) DO UPDATE SET
            parent_id = excluded.parent_id, kind = excluded.kind, name_tag = excluded.name_tag,
            deleted = excluded.deleted, rev = excluded.rev, head = excluded.head
        RETURNING id
        """

    /// A writer of revision `seq` in vault row `vault`, committed at `now`.
    init(db: Connection, vault: Int64, seq: Int64, now: Int64) throws {
        self.db = db
        self.vault = vault
        self.seq = seq
        self.now = now
        // The last row of the rowid B-tree: one descent, no scan.
        firstRevision = (try db.fetchValue("SELECT id FROM revisions ORDER BY id DESC LIMIT 1", as: Int64.self) ?? 0) + 1
    }

    /// Writes every change; each entry gets `rev = seq`.
    func write(_ changes: [EntryChange]) throws {
        try db.withStatement(Self.upsertEntrySQL) { upsertEntry in
            try db.withStatement(Self.insertRevisionSQL) { insertRevision in
                try db.withStatement(Self.insertBlobReferenceSQL) { insertBlobReference in
                    for (offset, change) in changes.enumerated() {
                        let revision = firstRevision + Int64(offset)
                        let entry = try writeEntry(change, head: revision, with: upsertEntry)
                        try writeRevision(change, id: revision, entry: entry, with: insertRevision)
                        try writeBlobReferences(change.blobs, revision: revision, with: insertBlobReference)
                    }
                }
            }
        }
    }

    /// Inserts or updates the entry's row and returns its id.
    private func writeEntry(_ change: EntryChange, head: Int64, with upsertEntry: Statement) throws -> Int64 {
        upsertEntry.reset()
        try upsertEntry.bind(vault, at: 1)
        try upsertEntry.bind(change.entryId, at: 2)
        try upsertEntry.bind(change.parentId, at: 3)
        try upsertEntry.bind(change.kind.code, at: 4)
        try upsertEntry.bind(change.nameTag.bytes, at: 5)
        try upsertEntry.bind(Int64(change.deleted ? 1 : 0), at: 6)
        try upsertEntry.bind(seq, at: 7)
        try upsertEntry.bind(head, at: 8)
        guard try upsertEntry.step(), let row = upsertEntry.currentRow else {
            throw SyncError.internalFailure("an entry upsert returned no row")
        }
        let id = try row.int64(at: 0)
        while try upsertEntry.step() {}
        return id
    }

    private func writeRevision(_ change: EntryChange, id: Int64, entry: Int64, with insertRevision: Statement) throws {
        insertRevision.reset()
        try insertRevision.bind(id, at: 1)
        try insertRevision.bind(vault, at: 2)
        try insertRevision.bind(entry, at: 3)
        try insertRevision.bind(seq, at: 4)
        try insertRevision.bind(change.parentId, at: 5)
        try insertRevision.bind(change.kind.code, at: 6)
        try insertRevision.bind(change.nameTag.bytes, at: 7)
        try insertRevision.bind(Int64(change.deleted ? 1 : 0), at: 8)
        try insertRevision.bind(change.record.bytes, at: 9)
        try insertRevision.bind(now, at: 10)
        while try insertRevision.step() {}
    }

    /// One row per distinct blob, counting how often the change lists it.
    private func writeBlobReferences(_ blobs: [BlobID], revision: Int64, with insertBlobReference: Statement) throws {
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
