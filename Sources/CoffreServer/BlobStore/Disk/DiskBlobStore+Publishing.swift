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
        if let directory = try blobsDirectory.openDirectory(Self.directoryPath(namespace, id), operation: "open a blob directory"),
            let existing = try directory.status(of: hex, operation: "stat a blob"),
            existing.isRegularFile, Int64(existing.st_size) == size,
            try directory.touch(hex, operation: "refresh a blob's time")
        {
            // Another upload may have renamed this blob in without having synced its directory
            // yet: sync it here too before telling the caller the blob is stored.
            try directory.sync(operation: "fsync a blob directory")
            _ = try tempDirectory.removeEntry(tempName, operation: "remove an upload file")
            return try info(of: hex, in: directory, id: id)
        }
        // 1. The bytes reach stable storage before any name points to them (fsync(2)).
        try file.sync(operation: "fsync an upload file")
        // 2. Every directory on the way exists and is durable in its parent.
        let directory = try makeDirectories(namespace: namespace, id: id)
        // 3. rename(2) is atomic: readers see no blob or the whole blob, never a partial one.
        //    It replaces a file of the wrong size (a truncated copy) with the verified one.
        guard try tempDirectory.rename(tempName, to: hex, in: directory, operation: "publish a blob") else {
            throw .io(operation: "publish a blob", detail: "upload file vanished")
        }
        // 4. fsync the directory that gained the entry, so the name survives a crash. tmp/ is
        //    not synced: if its old entry came back after a crash, the startup sweep removes it.
        try directory.sync(operation: "fsync a blob directory")
        return try info(of: hex, in: directory, id: id)
    }

    /// Creates `<namespace>`, `<namespace>/<h[0:2]>` and `<namespace>/<h[0:2]>/<h[2:4]>` as
    /// needed (0700), fsyncing the parent of each new one (a new directory is only durable once
    /// its entry in the parent is), and returns the last one opened.
    func makeDirectories(namespace: BlobNamespace, id: BlobID) throws(BlobStoreError) -> FileDescriptor {
        let leaf = Self.directoryPath(namespace, id)
        let levels = [namespace.rawValue, String(leaf.dropLast(3)), leaf]
        try directoryCreation.withLock { (_: inout Void) throws(BlobStoreError) in
            for (index, path) in levels.enumerated() {
                guard try blobsDirectory.makeDirectory(path, mode: Self.directoryMode, operation: "create a blob directory") else {
                    continue
                }
                let parent = index == 0 ? blobsDirectory : try blobsDirectory.openDirectory(levels[index - 1], operation: "open a blob directory")
                guard let parent else { throw .io(operation: "create a blob directory", detail: "parent vanished") }
                try parent.sync(operation: "fsync a blob directory")
            }
        }
        guard let directory = try blobsDirectory.openDirectory(leaf, operation: "open a blob directory") else {
            throw .io(operation: "open a blob directory", detail: "not a directory")
        }
        return directory
    }

    private func info(of hex: String, in directory: FileDescriptor, id: BlobID) throws(BlobStoreError) -> BlobInfo {
        guard let status = try directory.status(of: hex, operation: "stat a blob"), status.isRegularFile else {
            throw .io(operation: "stat a blob", detail: "published blob vanished")
        }
        return BlobInfo(id: id, size: Int64(status.st_size), created: status.modificationDate)
    }
}
