import CoffreCrypto
import CoffreProtocol
import Glibc
import Synchronization

/// The default blob store: one file per blob on a local file system (DESIGN §5).
///
/// Layout under `root`: `blobs/<namespace>/<h[0:2]>/<h[2:4]>/<hash>` (files 0600, directories
/// 0700) and `tmp/`, on the same file system, for uploads in progress. A commit is durable
/// before it returns (write, fsync, rename, fsync the directory); docs/storage-blobs.md gives
/// the sequence and the reason for each step. One instance per root: opening takes an
/// exclusive lock on `tmp/blob-store.lock`, then removes what a crash left in `tmp/`.
public final class DiskBlobStore: BlobStore {
    /// Limits of a disk store.
    public struct Configuration: Sendable {
        /// Largest blob accepted, in bytes.
        public var maxBlobSize: Int64
        /// Free space an upload must leave on the file system, in bytes, so that the metadata
        /// database and the system keep room to work.
        public var freeSpaceReserve: Int64
        /// Uploads announcing at least this many bytes are written with direct I/O
        /// (`DirectUploadWriter`); 0 writes every upload through the page cache.
        public var directWriteMinimumSize: Int64

        /// Defaults: 64 MiB blobs (chunks are at most 4 MiB, manifests grow with file size),
        /// 256 MiB reserve, direct writes from 1 MiB (docs/storage-blobs.md).
        public init(maxBlobSize: Int64 = 64 << 20, freeSpaceReserve: Int64 = 256 << 20, directWriteMinimumSize: Int64 = 1 << 20) {
            self.maxBlobSize = maxBlobSize
            self.freeSpaceReserve = freeSpaceReserve
            self.directWriteMinimumSize = directWriteMinimumSize
        }
    }

    static let uploadPrefix = "blob-upload-"
    static let deletingPrefix = "blob-deleting-"
    static let lockName = "blob-store.lock"
    static let fileMode: mode_t = 0o600
    static let directoryMode: mode_t = 0o700

    /// The limits this store enforces.
    public let configuration: Configuration
    let blobsDirectory: FileDescriptor
    let tempDirectory: FileDescriptor
    /// Held open for its flock(2) only; closing it releases the store for another instance.
    private let lockFile: FileDescriptor
    /// Group commit of directory fsyncs, keyed by path relative to `blobs/` ("" for `blobs/`).
    let directoryFlushes = FlushGroups()
    /// Directories (paths relative to `blobs/`) this instance created whose parent has not
    /// been synced since: an upload that finds one must sync the parent before relying on it
    /// (`makeDirectory`). mkdirat(2) and the insertion happen under this mutex.
    let directoriesBeingCreated = Mutex<Set<String>>([])
    /// The aligned buffers of direct writes, reused from upload to upload: enough spares for
    /// eight uploads at once, each filling two (`DirectUploadWriter.fillBuffers`), 16 MiB.
    let directBuffers = DirectWriteBufferPool(
        alignment: DirectUploadWriter.alignment, bufferBytes: DirectUploadWriter.bufferBytes, maxSpare: 16)

    /// Opens (creating when missing) the store at `root`. Throws `storeInUse` when another
    /// instance has it open, and an I/O error when `blobs/` and `tmp/` are not directories on
    /// one file system.
    public init(root: String, configuration: Configuration = Configuration()) throws(BlobStoreError) {
        guard configuration.maxBlobSize >= 0, configuration.freeSpaceReserve >= 0, configuration.directWriteMinimumSize >= 0 else {
            throw .io(operation: "open the blob store", detail: "negative size limit in configuration")
        }
        self.configuration = configuration
        let (made, makeCode) = retryingOnInterrupt { mkdir(root, Self.directoryMode) }
        guard made == 0 || makeCode == EEXIST else { throw .system("create the store root", errno: makeCode) }
        guard let rootDirectory = try FileDescriptor.openIfPresent(
            root, relativeTo: nil, flags: O_RDONLY | O_DIRECTORY, operation: "open the store root")
        else { throw .io(operation: "open the store root", detail: "not a directory") }

        var opened: [FileDescriptor] = []
        for name in ["blobs", "tmp"] {
            if try rootDirectory.makeDirectory(name, mode: Self.directoryMode, operation: "create a store directory") {
                // A new entry in root: fsync root so the directory survives a crash.
                try rootDirectory.sync(operation: "fsync the store root")
            }
            guard let directory = try rootDirectory.openDirectory(name, operation: "open a store directory") else {
                throw .io(operation: "open a store directory", detail: "not a directory")
            }
            opened.append(directory)
        }
        blobsDirectory = opened[0]
        tempDirectory = opened[1]
        // rename(2) fails with EXDEV across file systems: refuse such a layout now, not at the
        // first commit.
        guard try blobsDirectory.status(operation: "stat blobs/").st_dev
            == tempDirectory.status(operation: "stat tmp/").st_dev
        else { throw .io(operation: "open the blob store", detail: "blobs/ and tmp/ are on different file systems") }

        lockFile = try FileDescriptor.open(
            Self.lockName, relativeTo: tempDirectory, flags: O_RDWR | O_CREAT | O_NOFOLLOW, mode: Self.fileMode,
            operation: "open the store lock")
        guard try lockFile.lockExclusively() else { throw .storeInUse }
        try removeCrashLeftovers()
    }

    public func beginUpload(namespace: BlobNamespace, id: BlobID, expectedSize: Int64?) throws(BlobStoreError) -> any BlobUpload {
        if let expectedSize {
            guard expectedSize >= 0 else { throw .sizeMismatch(expected: expectedSize, actual: 0) }
            guard expectedSize <= configuration.maxBlobSize else { throw .tooLarge(limit: configuration.maxBlobSize) }
        }
        try checkFreeSpace(forMore: expectedSize ?? 0)
        let hasher: SHA256
        do throws(CryptoError) { hasher = try SHA256() } catch { throw .io(operation: "start SHA-256", detail: error.description) }
        let tempName = Self.uploadPrefix + Self.randomSuffix()
        // O_EXCL: the name is 128 random bits, so an existing file is an error, not a clash to
        // retry. 0600: blobs are only ever read by the server (open(2)).
        let file = try FileDescriptor.open(
            tempName, relativeTo: tempDirectory, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: Self.fileMode,
            operation: "create an upload file")
        var direct: DirectUploadWriter?
        if let expectedSize, try writesDirectly(file, size: expectedSize) {
            direct = try DirectUploadWriter(pool: directBuffers)
        }
        return DiskBlobUpload(
            store: self, namespace: namespace, id: id, expectedSize: expectedSize, tempName: tempName, file: file,
            hasher: hasher, direct: direct)
    }

    public func info(namespace: BlobNamespace, id: BlobID) throws(BlobStoreError) -> BlobInfo? {
        guard let status = try blobsDirectory.status(of: Self.blobPath(namespace, id), operation: "stat a blob") else {
            return nil
        }
        guard status.isRegularFile else { throw .io(operation: "stat a blob", detail: "not a regular file") }
        return BlobInfo(id: id, size: Int64(status.st_size), created: status.modificationDate)
    }

    public func open(namespace: BlobNamespace, id: BlobID) throws(BlobStoreError) -> any BlobReader {
        // O_NONBLOCK: a FIFO planted in the store must not block the open; regular files ignore it.
        guard let file = try FileDescriptor.openIfPresent(
            Self.blobPath(namespace, id), relativeTo: blobsDirectory, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK,
            operation: "open a blob")
        else { throw .notFound }
        return try DiskBlobReader(file: file)
    }

    public func delete(namespace: BlobNamespace, id: BlobID) throws(BlobStoreError) -> Bool {
        guard try blobsDirectory.removeEntry(Self.blobPath(namespace, id), operation: "delete a blob") else { return false }
        // fsync the directory so the deletion survives a crash: an erased vault must stay erased.
        let path = Self.directoryPath(namespace, id)
        if let directory = try blobsDirectory.openDirectory(path, operation: "open a blob directory") {
            try syncDirectory(path, directory)
        }
        return true
    }

    public func namespaces() throws(BlobStoreError) -> any BlobListing<BlobNamespace> {
        try DiskNamespaceListing(blobsDirectory: blobsDirectory)
    }

    public func blobs(in namespace: BlobNamespace) throws(BlobStoreError) -> any BlobListing<BlobInfo> {
        try DiskBlobListing(blobsDirectory: blobsDirectory, namespace: namespace)
    }

    /// Whether an upload file of `size` announced bytes is written with direct I/O: from
    /// `directWriteMinimumSize` on, when the file system takes O_DIRECT (then set on `file`).
    func writesDirectly(_ file: FileDescriptor, size: Int64) throws(BlobStoreError) -> Bool {
        guard configuration.directWriteMinimumSize > 0, size >= configuration.directWriteMinimumSize else { return false }
        return try file.enableDirectIO(operation: "turn on direct writes of an upload file")
    }

    /// Throws `diskFull` unless the file system has room for `bytes` more plus the reserve
    /// (statvfs(3) f_bavail: the space unprivileged writers may use).
    func checkFreeSpace(forMore bytes: Int64) throws(BlobStoreError) {
        let (needed, overflow) = bytes.addingReportingOverflow(configuration.freeSpaceReserve)
        let available = try tempDirectory.availableBytes()
        guard !overflow, available >= UInt64(needed) else { throw .diskFull }
    }

    /// `<namespace>/<h[0:2]>/<h[2:4]>`, relative to `blobs/`. Two levels of 256 keep
    /// directories small (65,536 leaves) even with millions of blobs in one vault.
    static func directoryPath(_ namespace: BlobNamespace, _ id: BlobID) -> String {
        let hex = Array(id.hex.utf8)
        return "\(namespace.rawValue)/\(String(decoding: hex[0..<2], as: UTF8.self))/\(String(decoding: hex[2..<4], as: UTF8.self))"
    }

    /// `<namespace>/<h[0:2]>/<h[2:4]>/<hash>`, relative to `blobs/`.
    static func blobPath(_ namespace: BlobNamespace, _ id: BlobID) -> String {
        "\(directoryPath(namespace, id))/\(id.hex)"
    }

    /// 32 hexadecimal characters from the system's random generator (getrandom(2)).
    static func randomSuffix() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let text = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
    }
}
