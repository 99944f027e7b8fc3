import CoffreCrypto
import CoffreProtocol
import Glibc
import Synchronization

/// Many blobs of one namespace received one after the other and published together with a
/// single pass of fsyncs: the disk side of the blob-batch route (docs/protocol.md, "Blob batch").
///
/// Each blob is written to its own temp file in `tmp/` and hashed as it arrives, like an upload,
/// but not synced yet; a blob of at least the store's `directWriteMinimumSize` is written with
/// direct I/O, as a single upload of that size is (`DirectUploadWriter`, one buffer for the
/// whole batch): on this machine's disk, buffered writes of a batch of large blobs followed by
/// their fsyncs ran at the speed of the page cache's writeback, about 100 MB/s, where direct
/// writes of the same bytes ran at two to seven times that (docs/performance.md, Sync client,
/// "Large uploads"). `publish` then makes the chosen ones durable in the order the single
/// upload uses for one blob (docs/storage-blobs.md): fsync every temp file, create the fan-out
/// directories, rename every file into place, and fsync each directory that gained an entry
/// once — however many blobs it gained (or, for large batches, syncfs(2) in place of each
/// round of fsyncs). Temp files carry the upload prefix, so the startup sweep
/// removes what a crash leaves behind; an instance released without `publish` removes its own.
///
/// Calls must not overlap (one request body feeds one batch); they may come from different
/// threads one after the other.
final class DiskBlobBatch: Sendable {
    /// A verified blob waiting in its temp file.
    private struct Staged {
        let tempName: String
        let size: Int64
    }

    /// The blob being received.
    private struct Current {
        let id: BlobID
        let tempName: String
        let file: FileDescriptor
        let hasher: SHA256
        let expected: Int64
        var written: Int64 = 0
        var writeback = StreamingWriteback()
        /// Written through `State.directWriter` rather than the page cache.
        let direct: Bool
    }

    private struct State {
        var current: Current?
        var staged: [BlobID: Staged] = [:]
        /// The batch's direct-I/O buffer, made for its first large blob and reused for the others.
        var directWriter: DirectUploadWriter?
    }

    /// Blobs from which `publish` syncs the whole file system twice (syncfs(2)) instead of
    /// fsyncing each file and directory: 2,000 blobs of 4 KiB went from 4,848 to 9,244 per
    /// second on this machine (docs/performance.md, "Durable uploads"). Below it the fsyncs
    /// stay, since a syncfs also waits for every other dirty file of the file system.
    static let fileSystemSyncThreshold = 256

    private let store: DiskBlobStore
    private let namespace: BlobNamespace
    private let state = Mutex(State())

    /// A batch into `namespace`, refused with `diskFull` unless the file system has room for
    /// `expectedBytes` more plus the store's reserve.
    init(store: DiskBlobStore, namespace: BlobNamespace, expectedBytes: Int64) throws(BlobStoreError) {
        try store.checkFreeSpace(forMore: max(0, expectedBytes))
        self.store = store
        self.namespace = namespace
    }

    deinit {
        state.withLock { discardAll(&$0) }
    }

    /// Starts receiving blob `id` of exactly `size` bytes. Throws `tooLarge` beyond the store's
    /// blob limit.
    func begin(id: BlobID, size: Int64) throws(BlobStoreError) {
        guard size >= 0, size <= store.configuration.maxBlobSize else {
            throw .tooLarge(limit: store.configuration.maxBlobSize)
        }
        let hasher: SHA256
        do throws(CryptoError) { hasher = try SHA256() } catch { throw .io(operation: "start SHA-256", detail: error.description) }
        let tempName = DiskBlobStore.uploadPrefix + DiskBlobStore.randomSuffix()
        let file = try FileDescriptor.open(
            tempName, relativeTo: store.tempDirectory, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
            mode: DiskBlobStore.fileMode, operation: "create a batch file")
        do throws(BlobStoreError) {
            let direct = try store.writesDirectly(file, size: size)
            try state.withLock { (state: inout State) throws(BlobStoreError) in
                guard state.current == nil else { throw .uploadClosed }
                if direct {
                    if state.directWriter == nil { state.directWriter = try DirectUploadWriter(pool: store.directBuffers) }
                    state.directWriter?.restart()
                }
                state.current = Current(id: id, tempName: tempName, file: file, hasher: hasher, expected: size, direct: direct)
            }
        } catch {
            _ = try? store.tempDirectory.removeEntry(tempName, operation: "remove a batch file")
            throw error
        }
    }

    /// Appends bytes to the current blob; more than announced is `sizeMismatch`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(BlobStoreError) {
        try state.withLock { (state: inout State) throws(BlobStoreError) in
            guard var current = state.current else { throw .uploadClosed }
            let total = current.written + Int64(bytes.count)
            guard total <= current.expected else { throw .sizeMismatch(expected: current.expected, actual: total) }
            if current.direct, let writer = state.directWriter {
                try writer.append(bytes, to: current.file)
            } else {
                try current.file.writeAll(bytes, operation: "write a batch file")
                try current.writeback.wrote(upTo: total, in: current.file, operation: "start writing a batch file")
            }
            do throws(CryptoError) { try current.hasher.update(bytes) } catch {
                throw .io(operation: "SHA-256 update", detail: error.description)
            }
            current.written = total
            state.current = current
        }
    }

    /// Ends the current blob. True when its bytes hash to its id: it is staged for `publish`.
    /// False when they do not: its temp file is removed.
    func end() throws(BlobStoreError) -> Bool {
        try state.withLock { (state: inout State) throws(BlobStoreError) -> Bool in
            guard let current = state.current else { throw .uploadClosed }
            state.current = nil
            guard current.written == current.expected else {
                _ = try? store.tempDirectory.removeEntry(current.tempName, operation: "remove a batch file")
                throw .sizeMismatch(expected: current.expected, actual: current.written)
            }
            let digest: [UInt8]
            do throws(CryptoError) { digest = try current.hasher.finalize() } catch {
                throw .io(operation: "SHA-256 final", detail: error.description)
            }
            // The id is public, so a plain comparison leaks nothing.
            guard digest == current.id.bytes, state.staged[current.id] == nil else {
                _ = try store.tempDirectory.removeEntry(current.tempName, operation: "remove a batch file")
                return digest == current.id.bytes
            }
            if current.direct, let writer = state.directWriter {
                do throws(BlobStoreError) { try writer.finish(current.file) } catch {
                    _ = try? store.tempDirectory.removeEntry(current.tempName, operation: "remove a batch file")
                    throw error
                }
            }
            state.staged[current.id] = Staged(tempName: current.tempName, size: current.expected)
            return true
        }
    }

    /// The blobs staged so far.
    var stagedIDs: Set<BlobID> { state.withLock { Set($0.staged.keys) } }

    /// Publishes the staged blobs among `ids` durably and returns their sizes; the temp files
    /// of the other staged blobs are removed. After this the batch holds nothing.
    ///
    /// The fsyncs of each step run side by side (`ConcurrentSyncs`): a journaling file system
    /// commits concurrent fsyncs together, so a batch of many small blobs costs a few journal
    /// commits instead of one per file and per directory. From `fileSystemSyncThreshold` blobs
    /// on, one syncfs(2) replaces the file fsyncs and another the directory fsyncs.
    func publish(_ ids: Set<BlobID>) throws(BlobStoreError) -> [BlobID: Int64] {
        try state.withLock { (state: inout State) throws(BlobStoreError) -> [BlobID: Int64] in
            defer { discardAll(&state) }
            let chosen = state.staged.filter { ids.contains($0.key) }
            guard !chosen.isEmpty else { return [:] }
            let tempDirectory = store.tempDirectory
            let wholeFileSystem = chosen.count >= Self.fileSystemSyncThreshold
            // 1. Every file's bytes reach stable storage before any name points to them.
            if wholeFileSystem {
                try tempDirectory.syncFileSystem(operation: "sync the store's file system")
            } else {
                try ConcurrentSyncs.run(Array(chosen.values)) { (staged) throws(BlobStoreError) in
                    let file = try FileDescriptor.open(
                        staged.tempName, relativeTo: tempDirectory, flags: O_RDONLY | O_NOFOLLOW, operation: "open a batch file")
                    try file.sync(operation: "fsync a batch file")
                }
            }
            // 2. Every directory on the way exists and is durable in its parent — for a
            //    whole-file-system batch, durable once step 4's syncfs returns, which names
            //    depend on before anyone is told.
            let (directories, made) = try makeDirectories(for: Array(chosen.keys), syncingParents: !wholeFileSystem)
            // 3. Each file is renamed into place (rename(2) is atomic).
            for (id, staged) in chosen {
                guard let directory = directories[DiskBlobStore.directoryPath(namespace, id)],
                    try tempDirectory.rename(staged.tempName, to: id.hex, in: directory, operation: "publish a blob")
                else { throw .io(operation: "publish a blob", detail: "batch file vanished") }
                state.staged[id] = nil
            }
            // 4. One fsync per directory that gained entries makes all their names durable, or
            //    one syncfs started after the last rename.
            if wholeFileSystem {
                try tempDirectory.syncFileSystem(operation: "sync the store's file system")
                store.directoriesWereSynced(made)
            } else {
                let store = self.store
                try ConcurrentSyncs.run(Array(directories)) { (entry) throws(BlobStoreError) in
                    try store.syncDirectory(entry.key, entry.value)
                }
            }
            return chosen.mapValues(\.size)
        }
    }

    /// Creates the namespace and fan-out directories the blobs `ids` need and returns the leaf
    /// directories by path, with the paths this call made. With `syncingParents`, each is
    /// durable in its parent on return (`DiskBlobStore.makeDirectory`), one level at a time,
    /// the directories of a level side by side: those sharing a parent share its fsync.
    /// Without, nothing is synced and the directories made stay marked as unsynced
    /// (`makeDirectoryEntry`) until the caller's syncfs has returned: a batch of 10,000 blobs
    /// into a new vault makes thousands of leaf directories, and their parents' fsyncs were
    /// most of its fsyncs, all covered by the syncfs that follows the renames anyway.
    private func makeDirectories(
        for ids: [BlobID], syncingParents: Bool
    ) throws(BlobStoreError) -> (leaves: [String: FileDescriptor], made: [String]) {
        let leaves = Set(ids.map { DiskBlobStore.directoryPath(namespace, $0) })
        let middles = Set(leaves.map { String($0.dropLast(3)) })
        let store = self.store
        var made: [String] = []
        for level in [[namespace.rawValue], Array(middles), Array(leaves)] {
            if syncingParents {
                try ConcurrentSyncs.run(level) { (path) throws(BlobStoreError) in try store.makeDirectory(path) }
            } else {
                for path in level where try store.makeDirectoryEntry(path).made { made.append(path) }
            }
        }
        var opened: [String: FileDescriptor] = [:]
        for path in leaves {
            guard let directory = try store.blobsDirectory.openDirectory(path, operation: "open a blob directory") else {
                throw .io(operation: "open a blob directory", detail: "not a directory")
            }
            opened[path] = directory
        }
        return (opened, made)
    }

    /// Removes every temp file still held. Errors are ignored: this runs from deinit too, and
    /// the next start's sweep of tmp/ removes what is left.
    func discard() {
        state.withLock { discardAll(&$0) }
    }

    private func discardAll(_ state: inout State) {
        if let current = state.current {
            _ = try? store.tempDirectory.removeEntry(current.tempName, operation: "remove a batch file")
            state.current = nil
        }
        for staged in state.staged.values {
            _ = try? store.tempDirectory.removeEntry(staged.tempName, operation: "remove a batch file")
        }
        state.staged = [:]
    }
}
