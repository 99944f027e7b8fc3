import CSystemShims
import Glibc

extension FilePlacement {
    /// Puts the temp file in place under `name` (default: the destination's own name; a
    /// conflict copy uses another name in the same folder) if what is there matches
    /// `expectation`. See the type's documentation for the sequence: `makeDurable()`,
    /// `link(expecting:as:)` and `syncFolder()` in one call.
    public func commit(expecting expectation: PlacementExpectation, as name: String? = nil) throws(LocalFSError) -> PlacementResult {
        guard !isFinished else { throw .misuse("placement already finished") }
        try prepareForPlacement()
        isDurable = true
        let result = try link(expecting: expectation, as: name)
        guard case .placed = result else { return result }
        try syncFolder()
        return result
    }

    /// First step of a placement done in steps (many placements share each step's waits):
    /// mode, mtime and bytes durable under the temp name.
    public func makeDurable() throws(LocalFSError) {
        guard !isFinished else { throw .misuse("placement already finished") }
        try prepareForPlacement()
        isDurable = true
    }

    /// Second step, after `makeDurable()`: checks the destination against `expectation` and
    /// renames into place, as `commit` does. The new name is not durable until `syncFolder()`
    /// (or another fsync(2) of the same folder) returns.
    public func link(expecting expectation: PlacementExpectation, as name: String? = nil) throws(LocalFSError) -> PlacementResult {
        guard !isFinished else { throw .misuse("placement already finished") }
        // The bytes, mode and mtime are durable before the name appears, never after.
        guard isDurable else { throw .misuse("placement linked before it is durable") }
        let target = name ?? String(destination.name)
        try LocalPath.validate(target)
        guard !target.utf8.contains(UInt8(ascii: "/")) else { throw .invalidPath("a placement name is one component") }
        guard ReservedNames.kind(of: target.utf8) == nil else { throw .invalidPath("reserved name") }
        let placed: Bool
        switch expectation {
        case .absent:
            placed = try placeNew(as: target)
        case .file(let expected):
            placed = try replace(target, expected: expected)
        }
        guard placed else { return .conflict(current: currentEntry(target)) }
        isFinished = true
        return .placed(FileMetadata(try file.status(operation: "stat a placed file")))
    }

    /// Third step: the new name must survive a crash too: fsync(2) of the folder ("Calling
    /// fsync() does not necessarily ensure that the entry in the directory containing the file
    /// has also reached disk. For that an explicit fsync() on a file descriptor for the
    /// directory is also needed.").
    public func syncFolder() throws(LocalFSError) {
        try folder.sync(operation: "fsync a folder after placing a file")
    }

    /// The destination folder's device and inode (fstat(2) of the descriptor the rename uses):
    /// placements with equal identities share one `syncFolder()`.
    public func folderIdentity() throws(LocalFSError) -> FolderIdentity {
        let info = try folder.status(operation: "stat a placement's folder")
        return FolderIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// fchmod(2), futimens(2) then fsync(2), so the data, mode and mtime are durable before
    /// the file gets its real name.
    private func prepareForPlacement() throws(LocalFSError) {
        try setAttributes()
        try file.sync(operation: "fsync a temp file")
    }

    /// fchmod(2) and futimens(2) of the temp file: the mode and mtime it is placed with.
    func setAttributes() throws(LocalFSError) {
        let (chmodResult, chmodCode) = retryingOnInterrupt { fchmod(file.raw, mode_t(mode)) }
        guard chmodResult == 0 else { throw .system(operation: "chmod a temp file", code: chmodCode) }
        // utimensat(2): times[0] is the access time (left alone with UTIME_OMIT), times[1] the mtime.
        var times = [timespec(tv_sec: 0, tv_nsec: COFFRE_UTIME_OMIT), FileMetadata.timespec(nanoseconds: modificationTime)]
        let (timeResult, timeCode) = retryingOnInterrupt { futimens(file.raw, &times) }
        guard timeResult == 0 else { throw .system(operation: "set the mtime of a temp file", code: timeCode) }
    }

    /// Places the file where nothing is expected. RENAME_NOREPLACE makes "still absent" and the
    /// rename one atomic step (renameat2(2): EEXIST "flags contains RENAME_NOREPLACE and newpath
    /// already exists"). File systems without it (EINVAL) fall back to lstat then renameat.
    private func placeNew(as target: String) throws(LocalFSError) -> Bool {
        let (result, code) = renaming(to: target, coffre_rename_noreplace)
        if result == 0 { return true }
        if code == EEXIST { return false }
        guard code == EINVAL || code == ENOSYS else { throw .system(operation: "rename a temp file into place", code: code) }
        guard currentEntry(target) == nil else { return false }
        return try plainRename(to: target)
    }

    /// Replaces an expected file. The temp file and the destination are swapped atomically
    /// (RENAME_EXCHANGE); the file now under the temp name is then checked against the
    /// expectation, and swapped back if it is not the expected one — so a local edit that
    /// lands between a check and a rename is never lost. Without RENAME_EXCHANGE (EINVAL), the
    /// check happens just before a plain renameat.
    private func replace(_ target: String, expected: FileMetadata) throws(LocalFSError) -> Bool {
        guard let (type, current) = currentEntry(target), type == .file, current.hasSameIdentityAndContent(as: expected) else {
            return false
        }
        let (result, code) = renaming(to: target, coffre_rename_exchange)
        if result != 0 {
            if code == ENOENT { return false }  // removed since the check
            guard code == EINVAL || code == ENOSYS else { throw .system(operation: "swap a temp file into place", code: code) }
            return try plainRename(to: target)
        }
        let swappedOut = temporaryName.withCString { folder.statusOfChild($0) }
        if case .success(let info) = swappedOut, EntryType(info) == .file, FileMetadata(info).hasSameIdentityAndContent(as: expected) {
            let (unlinked, unlinkCode) = temporaryName.withCString { name in
                retryingOnInterrupt { unlinkat(folder.raw, name, 0) }
            }
            guard unlinked == 0 || unlinkCode == ENOENT else { throw .system(operation: "remove a replaced file", code: unlinkCode) }
            return true
        }
        // Changed between the check and the swap: put the user's file back.
        let (back, backCode) = renaming(to: target, coffre_rename_exchange)
        guard back == 0 else { throw .system(operation: "swap a changed file back", code: backCode) }
        return false
    }

    private func plainRename(to target: String) throws(LocalFSError) -> Bool {
        let (result, code) = renaming(to: target) { renameat($0, $1, $2, $3) }
        guard result == 0 else { throw .system(operation: "rename a temp file into place", code: code) }
        return true
    }

    /// Calls a renameat-shaped function from the temp name to `target` in the folder.
    private func renaming(
        to target: String, _ call: (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>) -> Int32
    ) -> (Int32, Int32) {
        let raw = folder.raw
        return temporaryName.withCString { from in
            target.withCString { to in retryingOnInterrupt { call(raw, from, raw, to) } }
        }
    }

    /// What `name` in the folder is now, or nil when there is nothing (or it cannot be read).
    private func currentEntry(_ name: String) -> (EntryType, FileMetadata)? {
        guard case .success(let info) = name.withCString({ folder.statusOfChild($0) }) else { return nil }
        return (EntryType(info), FileMetadata(info))
    }
}
