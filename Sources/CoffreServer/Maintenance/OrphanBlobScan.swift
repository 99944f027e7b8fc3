import CoffreProtocol
import HTTPServer

/// Walks every blob file on disk, vault folder by vault folder, a page at a time, and yields
/// the files no row records: left by an upload killed between its publish and its row, by a
/// vault deletion killed before its folder went, or by a GC killed between a row and its file.
/// Garbage collection deletes them after the grace period; fsck reports them.
///
/// Listing runs on the blocking-work queue, one page per call, so memory stays bounded however
/// many files there are. Folders whose name is not a vault id are not the store's and are skipped.
final class OrphanBlobScan: @unchecked Sendable {
    // @unchecked Sendable: the listings are used by one task, one `next` call at a time, each
    // call awaited before the next; the blocking-work queue only runs the call in between.

    /// Files not recorded in their vault.
    struct Page: Sendable {
        let vault: VaultID
        /// False when the vault has no row (deleted): the whole folder is an orphan.
        let vaultExists: Bool
        let files: [BlobInfo]
    }

    private let disk: DiskBlobStore
    private let store: SyncStore
    private let pageSize: Int
    private var namespaces: (any BlobListing<BlobNamespace>)?
    private var folder: (vault: VaultID, listing: any BlobListing<BlobInfo>)?
    private var folderHasRow = false

    init(disk: DiskBlobStore, store: SyncStore, pageSize: Int = 1_000) {
        self.disk = disk
        self.store = store
        self.pageSize = pageSize
    }

    /// The next page of unrecorded files, or nil when the walk is done.
    func next() async throws -> Page? {
        while true {
            guard let listed = try await HTTPBlockingWork.run({ try self.listNextPage() }) else { return nil }
            if listed.opensFolder {
                folderHasRow = try await store.vaultsWithoutRows([listed.vault]).isEmpty
            }
            guard !listed.files.isEmpty else { continue }
            guard folderHasRow else { return Page(vault: listed.vault, vaultExists: false, files: listed.files) }
            let recorded = try await store.recordedBlobs(in: listed.vault, among: listed.files.map(\.id))
            let orphans = listed.files.filter { !recorded.contains($0.id) }
            if !orphans.isEmpty { return Page(vault: listed.vault, vaultExists: true, files: orphans) }
        }
    }

    /// Up to `pageSize` files of the current folder; when it is done, opens the next folder
    /// (`opensFolder`) and lists its first page.
    private func listNextPage() throws -> (vault: VaultID, files: [BlobInfo], opensFolder: Bool)? {
        if namespaces == nil { namespaces = try disk.namespaces() }
        var opened = false
        while true {
            if let folder {
                var files: [BlobInfo] = []
                while files.count < pageSize, let info = try folder.listing.next() { files.append(info) }
                if !files.isEmpty || opened { return (folder.vault, files, opened) }
                self.folder = nil
            }
            guard let namespace = try namespaces?.next() else { return nil }
            guard let vault = VaultID(hex: namespace.rawValue) else { continue }
            folder = (vault, try disk.blobs(in: namespace))
            opened = true
        }
    }
}
