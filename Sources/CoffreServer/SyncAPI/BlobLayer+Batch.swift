import CoffreProtocol
import HTTPServer

/// Many small blobs in one request body (`POST …/blob-batch`, `BlobBatchFraming`).
extension BlobLayer {
    /// Stores every blob of a batch body of `length` bytes into `vault` for `user` (write role)
    /// and says what became of each record, in order.
    ///
    /// The whole `length` is reserved from the quota before the body is read (an upper bound of
    /// the new bytes). Each blob goes to its own temp file and is hashed as it arrives — or, if
    /// it has at most `inlineMaxBytes` and the batch holds less than `inlineBatchBytes` of such
    /// blobs in memory, into memory; a blob whose bytes do not match its id is dropped and
    /// reported, the others go on. Then, holding the locks of all of them: the files of blobs
    /// the vault does not hold yet are made durable with one fsync pass
    /// (`DiskBlobBatch.publish`), and every verified blob is recorded in one transaction, which
    /// stores the small ones' bytes and settles the reservation. A batch of small blobs thus
    /// costs one log sync and no file. A framing error fails the whole batch.
    func uploadBatch(
        into vault: VaultID, user: Int64, length: Int64, body: HTTPRequestBody, maxBlobs: Int
    ) async throws -> BlobBatchResult {
        try await storeBatch(into: vault, user: user, length: length, maxBlobs: maxBlobs) { receiver in
            try await Self.stream(body) { pieces in try receiver.consume(pieces) }
        }
    }

    /// The work of `uploadBatch` once `receive` feeds the batch's records to the receiver.
    private func storeBatch(
        into vault: VaultID, user: Int64, length: Int64, maxBlobs: Int,
        receive: (BlobBatchReceiver) async throws -> Void
    ) async throws -> BlobBatchResult {
        let namespace = try Self.namespace(vault)
        try await store.checkAccess(vault, user: user, requiring: .write)
        if length > 0 { try await quotas.reserve(length, forUser: user) }
        var staging: DiskBlobBatch?
        var settled = false
        do {
            let disk = self.disk
            let batch = try await Self.blocking { () throws(BlobStoreError) in
                try DiskBlobBatch(store: disk, namespace: namespace, expectedBytes: length)
            }
            staging = batch
            let receiver = BlobBatchReceiver(
                batch: batch, maxBlobs: maxBlobs, maxBlobBytes: disk.configuration.maxBlobSize,
                inline: .init(maxBlobBytes: inlineMaxBytes, budget: Self.inlineBatchBytes))
            try await receive(receiver)
            let records = try receiver.finish()
            let inline = receiver.inlineBlobs.mapValues { $0[...] }
            var sizes: [BlobID: Int64] = [:]
            for case .verified(let id, let size) in records { sizes[id] = size }
            let keys = sizes.keys.map { BlobLocks.Key(vault: vault, blob: $0) }
            let new = try await locks.withLocks(keys) {
                let ids = Array(sizes.keys)
                let held = try await store.recordedBlobs(vault, user: user, among: ids, requiring: .write)
                let files = Set(ids).subtracting(held).filter { inline[$0] == nil }
                if !files.isEmpty {
                    _ = try await Self.waitingOnDisk { () throws(BlobStoreError) in try batch.publish(files) }
                }
                let new = try await uploadRecords.record(
                    vault, user: user, sizes.map { StoredBlob(id: $0.key, size: $0.value) }, inline: inline,
                    reservedBytes: length)
                settled = true
                return new
            }
            return BlobBatchResult(results: Self.outcomes(records, new: new))
        } catch {
            staging?.discard()
            if !settled && length > 0 { await release(length, of: user) }
            throw error
        }
    }

    /// Each record's outcome: `stored` for the first record of a blob new to the vault,
    /// `alreadyStored` for a blob it held or a repeated record, `hashMismatch` otherwise.
    static func outcomes(_ records: [BlobBatchReceiver.Record], new: Set<BlobID>) -> [BlobBatchItem] {
        var reported = Set<BlobID>()
        return records.map { record in
            switch record {
            case .verified(let id, _):
                let stored = new.contains(id) && reported.insert(id).inserted
                return BlobBatchItem(id: id, outcome: stored ? .stored : .alreadyStored)
            case .repeated(let id):
                return BlobBatchItem(id: id, outcome: .alreadyStored)
            case .hashMismatch(let id):
                return BlobBatchItem(id: id, outcome: .hashMismatch)
            }
        }
    }
}
