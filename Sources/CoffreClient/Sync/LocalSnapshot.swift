import CoffreProtocol
import SQLiteStore

/// The local tree of one pass (DESIGN §8): a scan of the folder, held in memory for the pass
/// (it is not stored: the synced tree already records what a local change is measured
/// against, and writing a row per file per pass would cost more than the whole comparison).
///
/// `take` compares the scan with the synced tree in one merge join — both come in the same
/// order, the scan's (`SyncedEntry.sortKey`), the synced rows through a covering index — so a
/// pass where nothing changed costs the scan plus one sequential read, with no per-file query.
/// Keeping at most a few entries, it only counts the differences beyond them, in memory bounded
/// by the depth of the tree: the check a pass starts with, which usually finds nothing to do
/// (and when it finds changes in a small tree, it serves as the round's snapshot).
struct LocalSnapshot: Sendable {
    /// The most entries the check a round starts with keeps (`take(keepingAtMost:)`): a tree
    /// this small is scanned once when it has changes, not twice (a scan of 10,000 files was
    /// 2 % of device A's CPU, docs/performance.md "Sync client"); a larger one only counts,
    /// so the pass over 100,000 unchanged files holds no entry list.
    static let checkEntryLimit = 20_000

    /// Every entry the scan took, in scan order (a folder before its contents); empty when the
    /// scan took more than it was to keep (`hasEveryEntry` false).
    var entries: [ScannedEntry]
    /// Whether `entries` holds every entry the scan took.
    var hasEveryEntry: Bool
    /// Every path the scan saw and did not take, with why.
    var skipped: [SkippedEntry]
    /// The built-in defaults and every `.coffreignore` read by the scan.
    var ignoreRules: IgnoreRules
    /// Scanned entries that differ from the synced row at their path, plus synced rows with no
    /// entry at their path: 0 means the folder is exactly as agreed.
    var differenceCount: Int

    /// Scans `root` and merge-joins the scan with the synced tree read through `db`, keeping
    /// the entries while there are at most `limit` of them (past it, none: they are dropped).
    static func take(
        root: SyncRoot, options: ScanOptions, comparingWith db: Connection, keepingAtMost limit: Int = .max
    ) throws -> LocalSnapshot {
        let scan = try root.scan(options: options)
        var entries: [ScannedEntry] = []
        var hasEveryEntry = true
        var skipped: [SkippedEntry] = []
        func nextEntry() -> ScannedEntry? {
            while let item = scan.next() {
                switch item {
                case .entry(let entry):
                    if hasEveryEntry {
                        if entries.count < limit {
                            entries.append(entry)
                        } else {
                            hasEveryEntry = false
                            entries = []
                        }
                    }
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
        return LocalSnapshot(
            entries: entries, hasEveryEntry: hasEveryEntry, skipped: skipped, ignoreRules: scan.ignoreRules,
            differenceCount: differences)
    }

    /// This snapshot without the leftover temp files it saw (`.syncTemporaryFile`), once they
    /// are removed: what a scan taken now would skip.
    func removingTemporaryFiles() -> LocalSnapshot {
        var snapshot = self
        snapshot.skipped.removeAll { $0.reason == .syncTemporaryFile }
        return snapshot
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
