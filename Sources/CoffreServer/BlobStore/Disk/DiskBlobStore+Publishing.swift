import CoffreProtocol
import Glibc

/// The last step of a commit: making verified bytes visible under their id, durably.
extension DiskBlobStore {
    /// Publishes the verified temp file `tempName` as blob `id` of `namespace` and returns its
    /// info once the blob is on stable storage. When the blob already exists with the same
    /// size it is kept as is (content addressing) and the temp file removed.
    func publish(
        tempName: String, file: FileDescriptor, namespace: BlobNamespace, id: BlobID, size: Int64
    ) throws(BlobStoreError) -> BlobInfo {
        let hex = id.hex
        let leaf = Self.directoryPath(namespace, id)
        if let directory = try blobsDirectory.openDirectory(leaf, operation: "open a blob directory"),
            let existing = try directory.status(of: hex, operation: "stat a blob"),
            existing.isRegularFile, Int64(existing.st_size) == size,
            try directory.touch(hex, operation: "refresh a blob's time")
        {
            // Another upload may have renamed this blob in without having synced its directory
            // yet: sync it here too before telling the caller the blob is stored.
            try syncDirectory(leaf, directory)
            _ = try tempDirectory.removeEntry(tempName, operation: "remove an upload file")
            return try info(of: hex, in: directory, id: id)
        }
        // 1. and 2. The bytes reach stable storage before any name points to them (fsync(2)),
        //    and every directory on the way exists and is durable in its parent. The fan-out
        //    directories are made first, without a sync; the fsyncs of the parents that gained
        //    one run side by side with the file's. Only the rename needs them all, and in a new
        //    vault nearly every upload makes a leaf: one after the other they were up to three
        //    fsyncs before the rename instead of one (docs/performance.md, "Publishing a PUT").
        let (directory, parents, made) = try makeDirectoryEntries(namespace: namespace, id: id)
        try syncSideBySide(file, parentsOf: parents)
        directoriesWereSynced(made)
        // 3. rename(2) is atomic: readers see no blob or the whole blob, never a partial one.
        //    It replaces a file of the wrong size (a truncated copy) with the verified one.
        guard try tempDirectory.rename(tempName, to: hex, in: directory, operation: "publish a blob") else {
            throw .io(operation: "publish a blob", detail: "upload file vanished")
        }
        // 4. fsync the directory that gained the entry, so the name survives a crash; uploads
        //    into the same directory at the same time share one fsync (FlushGroups). tmp/ is
        //    not synced: if its old entry came back after a crash, the startup sweep removes it.
        try syncDirectory(leaf, directory)
        return try info(of: hex, in: directory, id: id)
    }

    /// Creates `<namespace>`, `<namespace>/<h[0:2]>` and `<namespace>/<h[0:2]>/<h[2:4]>` as
    /// needed (0700) without syncing anything, and returns the last one open, the paths whose
    /// entries may still be unsynced in their parents (made now, or marked by another caller:
    /// `makeDirectoryEntry`), and those this call made. The caller syncs the parents of
    /// `unsynced` (`syncSideBySide`) before anything builds on them, then reports `made` with
    /// `directoriesWereSynced`; after a failure the marks stay, and later callers sync again.
    func makeDirectoryEntries(namespace: BlobNamespace, id: BlobID) throws(BlobStoreError)
        -> (directory: FileDescriptor, unsynced: [String], made: [String])
    {
        let leaf = Self.directoryPath(namespace, id)
        var unsynced: [String] = []
        var made: [String] = []
        for path in [namespace.rawValue, String(leaf.dropLast(3)), leaf] {
            let entry = try makeDirectoryEntry(path)
            if entry.unsynced { unsynced.append(path) }
            if entry.made { made.append(path) }
        }
        guard let directory = try blobsDirectory.openDirectory(leaf, operation: "open a blob directory") else {
            throw .io(operation: "open a blob directory", detail: "not a directory")
        }
        return (directory, unsynced, made)
    }

    /// fsyncs `file` and, at the same time, the parent of each path of `directories` (through
    /// `directoryFlushes`, shared with concurrent callers), side by side on threads of their
    /// own (`ConcurrentSyncs`); returns once every sync started has ended and throws the first
    /// error, so no later step overlaps one of them.
    func syncSideBySide(_ file: FileDescriptor, parentsOf directories: [String]) throws(BlobStoreError) {
        // nil stands for the file itself.
        try ConcurrentSyncs.run([nil] + directories) { (path: String?) throws(BlobStoreError) in
            if let path { try self.syncParent(of: path) } else { try file.sync(operation: "fsync an upload file") }
        }
    }

    /// Makes the directory `path` (relative to `blobs/`, its parent existing) exist and its
    /// entry durable: a new directory is only durable once its parent is fsynced (fsync(2)).
    ///
    /// The parent's fsync goes through `directoryFlushes`, so concurrent creations in one parent
    /// share it. A directory another upload created and whose parent it has not synced yet is
    /// in `directoriesBeingCreated`; finding it there, this call syncs the parent too (or joins
    /// a flush that covers it), so no caller builds on an entry that a crash could take away.
    /// A directory found without such a mark was synced by whoever made it.
    func makeDirectory(_ path: String) throws(BlobStoreError) {
        let (made, unsynced) = try makeDirectoryEntry(path)
        guard unsynced else { return }
        try syncParent(of: path)
        // Only once synced: after a failed fsync the mark stays, and later callers sync again.
        if made { directoriesWereSynced([path]) }
    }

    /// mkdirat(2) of `path` (relative to `blobs/`, its parent existing) without syncing
    /// anything: returns whether this call made it, and whether its entry may still be
    /// unsynced in its parent (made now, or marked by another caller that has not synced yet).
    /// A directory made here stays in `directoriesBeingCreated` until the caller reports a
    /// sync that covers it (`directoriesWereSynced`).
    func makeDirectoryEntry(_ path: String) throws(BlobStoreError) -> (made: Bool, unsynced: Bool) {
        try directoriesBeingCreated.withLock { (creating: inout Set<String>) throws(BlobStoreError) -> (Bool, Bool) in
            let made = try blobsDirectory.makeDirectory(path, mode: Self.directoryMode, operation: "create a blob directory")
            if made { creating.insert(path) }
            return (made, made || creating.contains(path))
        }
    }

    /// Ends the marks of directories this caller made, once a sync of their parents (or of
    /// the whole file system) started after their creation has returned.
    func directoriesWereSynced(_ paths: some Sequence<String>) {
        directoriesBeingCreated.withLock { creating in
            for path in paths { creating.remove(path) }
        }
    }

    /// fsyncs the parent of `path` (relative to `blobs/`; `blobs/` itself for a namespace), so
    /// that `path`'s entry in it is durable, sharing the fsync with concurrent callers.
    func syncParent(of path: String) throws(BlobStoreError) {
        let parent = path.split(separator: "/").dropLast().joined(separator: "/")
        if parent.isEmpty {
            try directoryFlushes.flush("") { () throws(BlobStoreError) in try blobsDirectory.sync(operation: "fsync blobs/") }
        } else {
            guard let directory = try blobsDirectory.openDirectory(parent, operation: "open a blob directory") else {
                throw .io(operation: "create a blob directory", detail: "parent vanished")
            }
            try syncDirectory(parent, directory)
        }
    }

    /// fsyncs `directory` (open on `path`, relative to `blobs/`), sharing the fsync with
    /// concurrent callers for the same path; returns once every change made to it before the
    /// call is durable (`FlushGroups`).
    func syncDirectory(_ path: String, _ directory: FileDescriptor) throws(BlobStoreError) {
        try directoryFlushes.flush(path) { () throws(BlobStoreError) in try directory.sync(operation: "fsync a blob directory") }
    }

    private func info(of hex: String, in directory: FileDescriptor, id: BlobID) throws(BlobStoreError) -> BlobInfo {
        guard let status = try directory.status(of: hex, operation: "stat a blob"), status.isRegularFile else {
            throw .io(operation: "stat a blob", detail: "published blob vanished")
        }
        return BlobInfo(id: id, size: Int64(status.st_size), created: status.modificationDate)
    }
}
