import CoffreProtocol
import SQLiteStore

/// The local tree of one pass (DESIGN §8): a scan of the folder, held in memory for the pass
/// (it is not stored: the synced tree already records what a local change is measured
/// against, and writing a row per file per pass would cost more than the whole comparison).
///
/// `take` compares the scan with the synced tree in one merge join — both come in the same
/// order, the scan's (`SyncedEntry.sortKey`), the synced rows through a covering index — so a
/// pass where nothing changed costs the scan plus one sequential read, with no per-file query.
/// Without `keepingEntries` it only counts the differences, in memory bounded by the depth of
/// the tree: the check a pass starts with, which usually finds nothing to do.
struct LocalSnapshot: Sendable {
    /// Every entry the scan took, in scan order (a folder before its contents); empty when the
    /// snapshot was taken without keeping them.
    var entries: [ScannedEntry]
    /// Every path the scan saw and did not take, with why.
    var skipped: [SkippedEntry]
    /// The built-in defaults and every `.coffreignore` read by the scan.
    var ignoreRules: IgnoreRules
    /// Scanned entries that differ from the synced row at their path, plus synced rows with no
    /// entry at their path: 0 means the folder is exactly as agreed.
    var differenceCount: Int

    /// Scans `root` and merge-joins the scan with the synced tree read through `db`.
    static func take(
        root: SyncRoot, options: ScanOptions, comparingWith db: Connection, keepingEntries: Bool = true
    ) throws -> LocalSnapshot {
        let scan = try root.scan(options: options)
        var entries: [ScannedEntry] = []
        var skipped: [SkippedEntry] = []
        func nextEntry() -> ScannedEntry? {
            while let item = scan.next() {
                switch item {
                case .entry(let entry):
                    if keepingEntries { entries.append(entry) }
                    return entry
                case .skipped(let skip):
                    skipped.append(skip)
                }
            }
            return nil
        }
        var differences = 0
        var pending = nextEntry()
        var pendingKey = pending.map { SyncedEntry.sortKey($0.path.onDisk) }
        try db.query(
            """
            SELECT sort_key, kind, inode, device, local_size, local_mtime, local_mode, remote_deleted, target
            FROM synced ORDER BY sort_key
            """
        ) { row in
            try row.withBlob(at: 0) { (rowKey: UnsafeRawBufferPointer) throws(SQLiteError) in
                // Scanned entries before this row have no synced row at their path.
                while let key = pendingKey, key.lexicographicallyPrecedes(rowKey) {
                    differences += 1
                    pending = nextEntry()
                    pendingKey = pending.map { SyncedEntry.sortKey($0.path.onDisk) }
                }
                guard let entry = pending, let key = pendingKey, key.elementsEqual(rowKey) else {
                    differences += 1  // a synced row with nothing at its path
                    return
                }
                if try !Self.matches(entry, row) { differences += 1 }
                pending = nextEntry()
                pendingKey = pending.map { SyncedEntry.sortKey($0.path.onDisk) }
            }
        }
        while pending != nil {
            differences += 1
            pending = nextEntry()
        }
        return LocalSnapshot(entries: entries, skipped: skipped, ignoreRules: scan.ignoreRules, differenceCount: differences)
    }

    /// Whether a scanned entry is exactly what the synced row (columns of the merge join)
    /// recorded: same kind and inode, and for a file the same size, mtime and permission bits,
    /// for a symlink the same target; and no deletion to undo.
    private static func matches(_ entry: ScannedEntry, _ row: Row) throws(SQLiteError) -> Bool {
        let metadata = entry.metadata
        let kind = try row.int64(at: 1)
        let inode = UInt64(bitPattern: try row.int64(at: 2))
        let device = UInt64(bitPattern: try row.int64(at: 3))
        guard try row.int64(at: 7) == 0, inode == metadata.inode, device == metadata.device else { return false }
        switch entry.kind {
        case .folder:
            return kind == EntryKind.folder.code
        case .file:
            let size = try row.int64(at: 4)
            let modificationTime = try row.int64(at: 5)
            let mode = try row.int64(at: 6)
            return kind == EntryKind.file.code && size == metadata.size && modificationTime == metadata.modificationTime
                && mode == Int64(metadata.mode & 0o777)
        case .symlink(let target):
            guard kind == EntryKind.symlink.code, try !row.isNull(at: 8) else { return false }
            return try row.string(at: 8) == target
        }
    }
}
