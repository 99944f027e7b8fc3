import CoffreProtocol
import SQLiteStore

/// Reading and writing index rows. Ids are 16-byte blobs, blob ids 32-byte blobs, unsigned
/// 64-bit numbers (inode, device, size) their bit pattern in an INTEGER. Every value read is
/// checked: a damaged index fails with a clear error instead of producing a wrong tree.
extension SyncIndex {
    /// `SELECT` list of a synced entry (also the pending entries' columns).
    static let entrySelectList = SyncIndexSchema.entryColumnNames.joined(separator: ", ")

    /// The synced tree's row insert, built once: built for each row, its text was 3 % of
    /// device A's CPU over 10,000 small files (docs/performance.md, "Sync client").
    static let syncedInsert = entryInsert(into: "synced")
    /// A pending commit's entry row insert (`SyncIndex+Pending`), built once.
    static let pendingEntryInsert = entryInsert(into: "pending_entries", extraColumns: ["commit_id", "tombstone", "name_tag"])

    /// `INSERT OR REPLACE INTO <table> (<entry columns><extra>) VALUES (?...)`.
    private static func entryInsert(into table: String, extraColumns: [String] = []) -> String {
        let columns = extraColumns + SyncIndexSchema.entryColumnNames
        return "INSERT OR REPLACE INTO \(table) (\(columns.joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
    }

    /// The arguments of `entryInsert` for `entry`, after `extra`.
    static func entryArguments(_ entry: SyncedEntry, extra: StatementArguments = []) -> StatementArguments {
        let attributes = entry.attributes
        let values: StatementArguments = [
            entry.id.bytes, entry.parentID.bytes, entry.kind.code, entry.rev, entry.remoteDeleted,
            attributes.name, attributes.modificationTime, Int64(attributes.mode), Int64(bitPattern: attributes.size),
            attributes.symlinkTarget, attributes.manifest.form.rawValue, attributes.manifest.encodedReferences,
            Int64(attributes.generation), StoredManifest.encode(entry.chunks), entry.path, entry.sortKey,
            Int64(bitPattern: entry.local.inode), Int64(bitPattern: entry.local.device), entry.local.size,
            entry.local.modificationTime, Int64(entry.local.mode), attributes.deadProperties, entry.local.changeTime,
        ]
        return extra + values
    }

    /// A synced entry from the columns of `entrySelectList`, starting at `start`.
    static func syncedEntry(_ row: Row, from start: Int = 0) throws -> SyncedEntry {
        func at(_ offset: Int) -> Int { start + offset }
        let kind = try entryKind(row, at: at(2))
        let attributes = EntryAttributes(
            name: try row.string(at: at(5)), modificationTime: try row.int64(at: at(6)),
            mode: try mode(row, at: at(7)), size: UInt64(bitPattern: try row.int64(at: at(8))),
            symlinkTarget: try row.isNull(at: at(9)) ? nil : try row.string(at: at(9)),
            manifest: try manifest(row, formAt: at(10), referencesAt: at(11)),
            generation: try generation(row, at: at(12)), deadProperties: try deadProperties(row, at: at(21)))
        return SyncedEntry(
            id: try entryID(row, at: at(0)), parentID: try entryID(row, at: at(1)), kind: kind,
            rev: try row.int64(at: at(3)), remoteDeleted: try row.int64(at: at(4)) != 0, attributes: attributes,
            chunks: try StoredManifest.decodeReferences(try row.blob(at: at(13))), path: try row.string(at: at(14)),
            local: LocalIdentity(
                inode: UInt64(bitPattern: try row.int64(at: at(16))), device: UInt64(bitPattern: try row.int64(at: at(17))),
                size: try row.int64(at: at(18)), modificationTime: try row.int64(at: at(19)), mode: try mode(row, at: at(20)),
                changeTime: try row.int64(at: at(22))))
    }

    /// `SELECT` list of a remote entry.
    static let remoteSelectList =
        "entry_id, parent_id, kind, rev, deleted, name_tag, readable, name, mtime, mode, size, target, manifest_form, manifest, generation, dead_properties"

    /// A remote entry from the columns of `remoteSelectList`.
    static func remoteEntry(_ row: Row) throws -> RemoteEntry {
        let kind = try entryKind(row, at: 2)
        var attributes: EntryAttributes?
        if try row.int64(at: 6) != 0 {
            attributes = EntryAttributes(
                name: try row.string(at: 7), modificationTime: try row.int64(at: 8), mode: try mode(row, at: 9),
                size: UInt64(bitPattern: try row.int64(at: 10)),
                symlinkTarget: try row.isNull(at: 11) ? nil : try row.string(at: 11),
                manifest: try manifest(row, formAt: 12, referencesAt: 13), generation: try generation(row, at: 14),
                deadProperties: try deadProperties(row, at: 15))
        }
        guard let tag = NameTag(bytes: try row.blob(at: 5)) else { throw SQLiteError.misuse("index holds a malformed name tag") }
        return RemoteEntry(
            id: try entryID(row, at: 0), parentID: try entryID(row, at: 1), kind: kind, rev: try row.int64(at: 3),
            deleted: try row.int64(at: 4) != 0, nameTag: tag, attributes: attributes)
    }

    /// Upserts a remote entry; `dirty` says whether it still has to be applied locally.
    static func storeRemote(_ entry: RemoteEntry, dirty: Bool, in db: Connection) throws {
        try db.execute(remoteInsert, remoteArguments(entry, dirty: dirty))
    }

    /// Stores a remote entry as applied here unless its row holds a newer rev (another
    /// device's later state from the feed, which stays as it came, dirty or not): one upsert
    /// whose update applies only to an older row (https://sqlite.org/lang_upsert.html), where a
    /// lookup and an insert were two statements per entry of each commit that landed.
    static func storeRemoteUnlessNewer(_ entry: RemoteEntry, in db: Connection) throws {
        try db.execute(remoteUpsertUnlessNewer, remoteArguments(entry, dirty: false))
    }

    /// The arguments of `remoteInsert`, in the order of `remoteSelectList` then `dirty`.
    private static func remoteArguments(_ entry: RemoteEntry, dirty: Bool) -> StatementArguments {
        let attributes = entry.attributes
        return [
            entry.id.bytes, entry.parentID.bytes, entry.kind.code, entry.rev, entry.deleted, entry.nameTag.bytes,
            attributes != nil, attributes?.name, attributes?.modificationTime, attributes.map { Int64($0.mode) },
            attributes.map { Int64(bitPattern: $0.size) }, attributes?.symlinkTarget, attributes?.manifest.form.rawValue,
            attributes?.manifest.encodedReferences, attributes.map { Int64($0.generation) }, attributes?.deadProperties, dirty,
        ]
    }

    /// The remote tree's row insert, built once (like `syncedInsert`: it runs per feed entry).
    private static let remoteInsert = """
        INSERT OR REPLACE INTO remote (\(remoteSelectList), dirty)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// `remoteInsert` that leaves a row of a higher rev alone (`storeRemoteUnlessNewer`).
    private static let remoteUpsertUnlessNewer: String = {
        let updated = (remoteSelectList.split(separator: ", ").dropFirst().map(String.init) + ["dirty"]).map { "\($0) = excluded.\($0)" }
        return """
            INSERT INTO remote (\(remoteSelectList), dirty)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (entry_id) DO UPDATE SET \(updated.joined(separator: ", ")) WHERE remote.rev <= excluded.rev
            """
    }()

    static func entryID(_ row: Row, at index: Int) throws -> EntryID {
        guard let id = try row.withBlob(at: index, { EntryID(bytes: $0) }) else {
            throw SQLiteError.misuse("index holds a malformed entry id")
        }
        return id
    }

    private static func entryKind(_ row: Row, at index: Int) throws -> EntryKind {
        guard let kind = EntryKind(code: try row.int64(at: index)) else { throw SQLiteError.misuse("index holds an unknown kind") }
        return kind
    }

    /// A record's dead properties; NULL (a row written before migration 2) reads as none.
    private static func deadProperties(_ row: Row, at index: Int) throws -> [UInt8] {
        if try row.isNull(at: index) { return [] }
        let bytes = try row.blob(at: index)
        guard bytes.count <= EntryRecord.maximumDeadPropertiesByteCount else {
            throw SQLiteError.misuse("index holds oversized dead properties")
        }
        return bytes
    }

    private static func mode(_ row: Row, at index: Int) throws -> UInt32 {
        guard let mode = UInt32(exactly: try row.int64(at: index)), mode <= 0o7777 else {
            throw SQLiteError.misuse("index holds an invalid mode")
        }
        return mode
    }

    private static func generation(_ row: Row, at index: Int) throws -> UInt32 {
        guard let generation = UInt32(exactly: try row.int64(at: index)) else {
            throw SQLiteError.misuse("index holds an invalid key generation")
        }
        return generation
    }

    private static func manifest(_ row: Row, formAt formIndex: Int, referencesAt referencesIndex: Int) throws -> StoredManifest {
        guard let form = StoredManifest.Form(rawValue: try row.int64(at: formIndex)) else {
            throw SQLiteError.misuse("index holds an unknown manifest form")
        }
        return try StoredManifest(form: form, encoded: try row.blob(at: referencesIndex))
    }
}
