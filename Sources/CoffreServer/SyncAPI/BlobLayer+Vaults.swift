import CoffreProtocol

/// Reading blobs and deleting whole vaults.
extension BlobLayer {
    /// Opens blob `id` of `vault` for `user`, who must be a member (any role).
    ///
    /// Membership comes from `VaultReaderCache`, and the file is opened directly (openat(2) and
    /// fstat(2) on the loop thread, as a static file server does): a file exists under the
    /// vault's folder only once its bytes were verified against its id. A blob with no file is
    /// looked for in the database (`blob_bytes`, bytes verified before they were recorded) and
    /// read from memory (`InlineBlobReader`). Throws `vaultNotFound` or `BlobStoreError.notFound`.
    func open(_ id: BlobID, in vault: VaultID, user: Int64) async throws -> any BlobReader {
        try await readers.checkMember(user, of: vault)
        do throws(BlobStoreError) {
            return try disk.open(namespace: try Self.namespace(vault), id: id)
        } catch .notFound {
            guard let bytes = try await store.inlineBytes(of: id, in: vault) else { throw BlobStoreError.notFound }
            return InlineBlobReader(bytes: bytes)
        }
    }

    /// Opens blob `id` of `vault` from either home, blocking: for work on the blocking-work
    /// queue that already checked the caller may read (a blob fetch, an account export).
    static func openBlocking(_ id: BlobID, in vault: VaultID, disk: DiskBlobStore, store: SyncStore) throws -> any BlobReader {
        do throws(BlobStoreError) {
            return try disk.open(namespace: try Self.namespace(vault), id: id)
        } catch .notFound {
            guard let bytes = try store.inlineBytesBlocking(of: id, in: vault) else { throw BlobStoreError.notFound }
            return InlineBlobReader(bytes: bytes)
        }
    }

    /// Deletes `vault` as `user` (owner): its rows first (its small blobs' bytes with them, by
    /// the cascade), in one transaction whose trigger gives every uploader their bytes back, then
    /// its folder of blobs.
    func deleteVault(_ vault: VaultID, user: Int64) async throws {
        _ = try await store.deleteVault(vault, user: user)
        readers.invalidate(vault: vault)
        await removeFiles(ofVault: vault)
    }

    /// Removes the folder of a vault whose rows are gone. A failure is logged: the folder is
    /// then an orphan, which garbage collection removes.
    func removeFiles(ofVault vault: VaultID) async {
        let disk = self.disk
        do {
            let namespace = try Self.namespace(vault)
            defer { smallBlobs.forget(vault: vault) }
            _ = try await Self.blocking { () throws(BlobStoreError) in try disk.deleteNamespace(namespace) }
        } catch {
            logger.error("could not remove a deleted vault's blobs; GC will", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes the rows of `candidates` that are still unreferenced and past the grace period
    /// (checked again in the deleting transaction, which also deletes the bytes of those kept in
    /// the database), then their files, holding their locks throughout; the trigger of
    /// `BlobChargeSchema` gives the bytes back to their uploaders. Returns the blobs deleted.
    func collect(_ candidates: [VaultBlob], graceSeconds: Int64) async throws -> [VaultBlob] {
        let keys = candidates.map { BlobLocks.Key(vault: $0.vaultId, blob: $0.blob) }
        return try await locks.withLocks(keys) {
            let deleted = try await store.deleteUnreferencedBlobs(candidates, graceSeconds: graceSeconds)
            // After the files are gone (or failed to go), whatever happened: see SmallBlobCache.
            defer {
                for (vault, blobs) in Dictionary(grouping: deleted, by: \.vaultId) {
                    smallBlobs.forget(blobs.map(\.blob), in: vault)
                }
            }
            let disk = self.disk
            try await Self.blocking { () throws(BlobStoreError) in
                for blob in deleted {
                    _ = try disk.delete(namespace: try Self.namespace(blob.vaultId), id: blob.blob)
                }
            }
            return deleted
        }
    }
}
