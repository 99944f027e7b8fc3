import CoffreProtocol
import Glibc
import Synchronization

/// Puts blob files into a backup's `blobs/` under the same relative paths: a hard link when the
/// backup is on the data directory's file system (blob files are never written again once
/// published, so sharing their inode is safe), a copy otherwise (link(2) says EXDEV). Copies are
/// fsynced page by page; the directories, once each, by `finish`.
///
/// Blocking; called from the blocking-work queue, one call at a time.
final class BackupBlobCopier: Sendable {
    private struct State {
        /// Directories created in the backup, relative to its `blobs/`.
        var directories: Set<String> = []
        var linked: Int64 = 0
        var copied: Int64 = 0
    }

    private let source: FileDescriptor
    private let destination: FileDescriptor
    private let state = Mutex(State())

    /// Bytes per read and write of a copy.
    static let copyBufferBytes = 1 << 20

    /// A copier from the store's `blobs/` directory into the backup's `blobs/` at `path`.
    init(source: FileDescriptor, destinationPath path: String) throws(BlobStoreError) {
        self.source = source
        guard let destination = try FileDescriptor.openIfPresent(
            path, relativeTo: nil, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW, operation: "open the backup's blobs/")
        else { throw .io(operation: "open the backup's blobs/", detail: "missing") }
        self.destination = destination
    }

    /// Hard links and copies made so far.
    var counts: (linked: Int64, copied: Int64) { state.withLock { ($0.linked, $0.copied) } }

    /// Puts every blob of `blobs` into the backup. A recorded blob whose file is missing is
    /// `notFound`: the backup would not be consistent.
    func add(_ blobs: [VaultBlob]) throws(BlobStoreError) {
        var copies: [String] = []
        for blob in blobs {
            let namespace = try BlobLayer.namespace(blob.vaultId)
            try makeDirectories(DiskBlobStore.directoryPath(namespace, blob.blob))
            let path = DiskBlobStore.blobPath(namespace, blob.blob)
            // linkat(2) without AT_SYMLINK_FOLLOW: a link to the blob file itself, never to what
            // a symbolic link planted in the store would point at.
            let (result, code) = retryingOnInterrupt { linkat(source.raw, path, destination.raw, path, 0) }
            if result == 0 {
                state.withLock { $0.linked += 1 }
                continue
            }
            switch code {
            case EXDEV, EPERM:
                try copy(path)
                copies.append(path)
            case ENOENT:
                throw .notFound
            default:
                throw .system("link a blob into the backup", errno: code)
            }
        }
        let backup = self.destination
        try ConcurrentSyncs.run(copies) { (path) throws(BlobStoreError) in
            let file = try FileDescriptor.open(path, relativeTo: backup, flags: O_RDONLY | O_NOFOLLOW, operation: "open a copied blob")
            try file.sync(operation: "fsync a copied blob")
        }
        state.withLock { $0.copied += Int64(copies.count) }
    }

    /// fsyncs every directory that gained entries, then `blobs/` itself, so the backup's names
    /// survive a crash.
    func finish() throws(BlobStoreError) {
        let destination = self.destination
        let directories = state.withLock { Array($0.directories) }
        try ConcurrentSyncs.run(directories) { (path) throws(BlobStoreError) in
            guard let directory = try destination.openDirectory(path, operation: "open a backup directory") else {
                throw .io(operation: "fsync a backup directory", detail: "missing")
            }
            try directory.sync(operation: "fsync a backup directory")
        }
        try destination.sync(operation: "fsync the backup's blobs/")
    }

    /// Creates `<namespace>/<aa>/<bb>` in the backup as needed.
    private func makeDirectories(_ leaf: String) throws(BlobStoreError) {
        let levels = [String(leaf.prefix { $0 != "/" }), String(leaf.dropLast(3)), leaf]
        for path in levels where !state.withLock({ $0.directories.contains(path) }) {
            _ = try destination.makeDirectory(path, mode: DiskBlobStore.directoryMode, operation: "create a backup directory")
            state.withLock { _ = $0.directories.insert(path) }
        }
    }

    /// Copies one file (pread/write, 1 MiB at a time) into a new file of mode 0600.
    private func copy(_ path: String) throws(BlobStoreError) {
        let input = try FileDescriptor.open(path, relativeTo: source, flags: O_RDONLY | O_NOFOLLOW, operation: "open a blob to copy")
        let output = try FileDescriptor.open(
            path, relativeTo: destination, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: DiskBlobStore.fileMode,
            operation: "create a blob copy")
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.copyBufferBytes, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while true {
            let count = try input.read(into: buffer, at: offset, operation: "read a blob to copy")
            if count == 0 { return }
            try output.writeAll(UnsafeRawBufferPointer(rebasing: buffer[..<count]), operation: "write a blob copy")
            offset += Int64(count)
        }
    }
}
