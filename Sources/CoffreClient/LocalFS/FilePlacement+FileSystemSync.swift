import Glibc

extension FilePlacement {
    /// The first step of a placement (`makeDurable()`) for many placements at once: each
    /// temp file's mode and mtime set, then one syncfs(2) per file system they lie on, in
    /// place of one fsync(2) per file. Every placement is durable once this returns (sync(2),
    /// NOTES: syncfs "provide[s] the same guarantees as fsync() called on every file in the
    /// … filesystem"), so `link` may follow for each.
    ///
    /// An fsync of a new file on ext4 writes its data, its inode, its folder and flushes the
    /// disk's cache, one file after the other; a syncfs writes all of them and flushes once
    /// (docs/performance.md, "Sync client"). It also waits for every other dirty file of the
    /// file system, so it pays only for many files at once (`PlacementGroup` decides).
    ///
    /// All or nothing: a failure of any step throws and leaves every placement not durable
    /// (the caller falls back to `makeDurable()` one by one, which tells whose bytes failed).
    /// Placements already finished or durable are refused.
    public static func makeDurable(together placements: [FilePlacement]) throws(LocalFSError) {
        var fileSystems: [UInt64: FilePlacement] = [:]
        for placement in placements {
            guard !placement.isFinished, !placement.isDurable else {
                throw .misuse("placement already finished or durable")
            }
            try placement.setAttributes()
            // A sync folder may hold mount points: a temp file lies on its folder's file system.
            let device = UInt64(try placement.file.status(operation: "stat a temp file").st_dev)
            if fileSystems[device] == nil { fileSystems[device] = placement }
        }
        // Only now, after the last attribute change, so the syncs cover every change.
        for placement in fileSystems.values {
            try placement.file.syncFileSystem(operation: "syncfs after writing temp files")
        }
        for placement in placements { placement.isDurable = true }
    }
}
