import CoffreProtocol
import Glibc

/// Removing what a crash left behind, and whole namespaces.
extension DiskBlobStore {
    /// Deepest directory tree `removeTree` walks. The store's own trees are three levels deep
    /// (namespace, two fan-out levels); anything deeper was not made by the store.
    static let maxTreeDepth = 8

    public func deleteNamespace(_ namespace: BlobNamespace) throws(BlobStoreError) -> Bool {
        // Move the namespace out of blobs/ in one atomic rename(2): readers and listings stop
        // seeing it at once, and a crash during the removal below leaves only a tmp/ entry that
        // the next start removes.
        let doomed = Self.deletingPrefix + Self.randomSuffix()
        guard try blobsDirectory.rename(namespace.rawValue, to: doomed, in: tempDirectory, operation: "detach a namespace") else {
            return false
        }
        try blobsDirectory.sync(operation: "fsync blobs/")
        try removeTree(doomed, in: tempDirectory, depth: 0)
        return true
    }

    /// Removes every upload file and half-deleted namespace in tmp/ (which only a crash or a
    /// kill can leave, since uploads remove their file when they end). Other names are left
    /// alone: tmp/ may be shared with other parts of the server.
    func removeCrashLeftovers() throws(BlobStoreError) {
        let stream = try DirectoryStream(tempDirectory, operation: "list tmp/")
        while let entry = try stream.next(operation: "list tmp/") {
            guard let name = entry.name else { continue }
            if name.hasPrefix(Self.uploadPrefix) || name.hasPrefix(Self.deletingPrefix) {
                try removeTree(entry, in: tempDirectory, depth: 0)
            }
        }
    }

    /// Removes `name` in `parent`: a file or symbolic link directly, a directory with
    /// everything below it. Links are removed, never followed.
    func removeTree(_ name: some SystemPath, in parent: FileDescriptor, depth: Int) throws(BlobStoreError) {
        guard let status = try parent.status(of: name, operation: "stat for removal") else { return }
        guard status.isDirectory else {
            _ = try parent.removeEntry(name, operation: "remove a file")
            return
        }
        guard depth < Self.maxTreeDepth else {
            throw .io(operation: "remove a directory tree", detail: "deeper than \(Self.maxTreeDepth) levels")
        }
        if let directory = try parent.openDirectory(name, operation: "open for removal") {
            let stream = try DirectoryStream(directory, operation: "list for removal")
            while let entry = try stream.next(operation: "list for removal") {
                try removeTree(entry, in: directory, depth: depth + 1)
            }
        }
        _ = try parent.removeEntry(name, directory: true, operation: "remove a directory")
    }
}
