import CoffreProtocol
import HTTPServer

/// A commit carrying its small blobs (`CommitWithBlobs`, docs/protocol.md "Commit with blobs"):
/// the blobs are recorded, and their quota settled, in the commit's own transaction.
extension BlobLayer {
    /// Carried blobs of at most this many bytes in all, none of them new to the vault or all of
    /// them kept in the database, are checked against their ids on the calling thread: hashing
    /// 64 KiB takes tens of microseconds, less than a hop to the blocking queue and back.
    static let inlineVerifyBytes: Int64 = 64 * 1024

    /// Applies `commit` to `vault` as `user` with the blob records it carries.
    ///
    /// Blobs all kept in the database and small in total take `commitSmall`. Otherwise, in
    /// order, holding the locks of every carried blob (`BlobLocks`) from the first read to
    /// the end: the commit's shape and the records' framing are checked; one read checks the
    /// write role and finds which blobs the vault holds already; the bytes of the others are
    /// reserved from the quota (quota before bytes); one blocking step checks every blob
    /// against its id and makes the new ones above `inlineMaxBytes` durable (`DiskBlobBatch`:
    /// files fsynced, renamed, directories fsynced — blobs before metadata, DESIGN §5); then the
    /// commit's transaction records them, stores the bytes of the new small ones with their
    /// rows, and settles the reservation with the commit (one log sync; a commit carrying only
    /// small blobs touches no file).
    ///
    /// Any refusal commits nothing: a blob not matching its id publishes none; a commit that
    /// is rejected (409) or replays a remembered one records no blob, gives the reservation
    /// back in its transaction, and the files this request published are removed — still
    /// under their locks, so no row can have come to name them.
    func commit(
        _ commit: CommitRequest, carrying records: ArraySlice<UInt8>, into vault: VaultID, user: Int64
    ) async throws -> CommitOutcome {
        try store.checkShape(commit)
        let carried = try CarriedBlobs(
            records: records, maxBlobs: CommitWithBlobs.maximumBlobs, maxBlobBytes: disk.configuration.maxBlobSize)
        let namespace = try Self.namespace(vault)
        return try await locks.withLocks(carried.ids.map { BlobLocks.Key(vault: vault, blob: $0) }) {
            if carried.blobs.allSatisfy({ isInline(Int64($0.bytes.count)) }) && carried.totalBytes <= Self.inlineVerifyBytes {
                return try await commitSmall(commit, carrying: carried, into: vault, user: user)
            }
            let held = try await store.recordedBlobs(vault, user: user, among: carried.ids, requiring: .write)
            let new = carried.blobs.filter { !held.contains($0.id) }
            let newBytes = new.reduce(Int64(0)) { $0 + Int64($1.bytes.count) }
            if newBytes > 0 { try await quotas.reserve(newBytes, forUser: user) }
            var published: [BlobID] = []
            do {
                let newIDs = Set(new.map(\.id))
                published = try await stage(carried, new: newIDs, newBytes: newBytes, in: namespace)
                var inline: [BlobID: ArraySlice<UInt8>] = [:]
                for blob in new where isInline(Int64(blob.bytes.count)) { inline[blob.id] = blob.bytes }
                let outcome = try await store.commit(
                    vault, user: user, commit, carrying: carried.blobs.map(\.stored), inline: inline,
                    quota: .reserved(newBytes))
                if case .committed(let receipt) = outcome, !receipt.replayed { return outcome }
                await removeUnrecorded(published, in: namespace)
                return outcome
            } catch {
                // The commit's transaction rolled back (or never ran): nothing recorded, nothing settled.
                if newBytes > 0 { await release(newBytes, of: user) }
                await removeUnrecorded(published, in: namespace)
                throw error
            }
        }
    }

    /// `commit` for blobs that all live in the database (at most `inlineMaxBytes` each) and total
    /// at most `inlineVerifyBytes`, the small PUT of the WebDAV gateway: no read before the write
    /// transaction and no hop off the calling thread before it. Every blob is checked against
    /// its id here, and the disk must keep `storage.minFreeBytes` free after all of them (the
    /// bytes of blobs the vault already holds count too: at most 64 KiB, and no read is needed to
    /// tell them apart); then the commit's transaction checks the write role, finds which blobs are
    /// new, reserves their quota (`CarriedQuota.inTransaction`) and stores them with their rows.
    /// Nothing is written before that transaction, so a refusal at any step leaves nothing behind.
    private func commitSmall(
        _ commit: CommitRequest, carrying carried: CarriedBlobs, into vault: VaultID, user: Int64
    ) async throws -> CommitOutcome {
        var inline: [BlobID: ArraySlice<UInt8>] = [:]
        for blob in carried.blobs {
            try blob.verify()
            inline[blob.id] = blob.bytes
        }
        if !inline.isEmpty { try disk.checkFreeSpace(forMore: carried.totalBytes) }
        return try await store.commit(
            vault, user: user, commit, carrying: carried.blobs.map(\.stored), inline: inline, quota: .inTransaction)
    }

    /// Checks every carried blob against its id and publishes those in `new` above
    /// `inlineMaxBytes` durably, in one blocking step (or on the calling thread when no file is
    /// to be written and there is little to hash). Throws `hashMismatch` before publishing
    /// anything when one blob does not match. Returns the published ids.
    private func stage(
        _ carried: CarriedBlobs, new: Set<BlobID>, newBytes: Int64, in namespace: BlobNamespace
    ) async throws -> [BlobID] {
        let disk = self.disk
        let files = Set(carried.blobs.filter { new.contains($0.id) && !isInline(Int64($0.bytes.count)) }.map(\.id))
        let work = { @Sendable () throws(BlobStoreError) -> [BlobID] in
            for blob in carried.blobs where !files.contains(blob.id) { try blob.verify() }
            // The database must have room for the small ones too (storage.minFreeBytes).
            guard !files.isEmpty else {
                if !new.isEmpty { try disk.checkFreeSpace(forMore: newBytes) }
                return []
            }
            let batch = try DiskBlobBatch(store: disk, namespace: namespace, expectedBytes: newBytes)
            do throws(BlobStoreError) {
                for blob in carried.blobs where files.contains(blob.id) {
                    try batch.begin(id: blob.id, size: Int64(blob.bytes.count))
                    // withUnsafeBytes rethrows untyped: the typed error travels in a Result.
                    try blob.bytes.withUnsafeBytes { bytes in Result { () throws(BlobStoreError) in try batch.write(bytes) } }.get()
                    guard try batch.end() else { throw BlobStoreError.hashMismatch }
                }
                return Array(try batch.publish(files).keys)
            } catch {
                batch.discard()
                throw error
            }
        }
        if files.isEmpty && carried.totalBytes <= Self.inlineVerifyBytes { return try work() }
        return try await Self.blocking(work)
    }

    /// Deletes the files of `ids`, which this request published and no row records. Runs under
    /// their locks; a failure leaves unrecorded files, which garbage collection removes.
    private func removeUnrecorded(_ ids: [BlobID], in namespace: BlobNamespace) async {
        guard !ids.isEmpty else { return }
        let disk = self.disk
        do {
            _ = try await Self.blocking { () throws(BlobStoreError) in
                for id in ids { _ = try disk.delete(namespace: namespace, id: id) }
            }
        } catch {
            logger.warning("could not remove the blobs of a commit that did not land", metadata: ["error": "\(error)"])
        }
    }
}
