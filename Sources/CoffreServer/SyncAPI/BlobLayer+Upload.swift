import CoffreProtocol
import Dispatch
import HTTPServer

/// One blob uploaded with `PUT …/blobs/{id}`.
extension BlobLayer {
    /// What an upload did.
    struct StoredUpload: Sendable {
        /// False when the vault already held the blob.
        let isNew: Bool
        /// The blob's size.
        let size: Int64
    }

    /// Stores the `length` bytes of `body` as blob `id` of `vault` for `user` (write role).
    ///
    /// In order: the role and whether the vault holds the blob already (then it costs no quota);
    /// the quota reservation (`quota_exceeded` before any byte is read, so a client that sent
    /// `Expect: 100-continue` sends nothing); the bytes, streamed into a temp file and hashed;
    /// then, under the blob's lock, the durable publish and the row. A blob of at most
    /// `inlineMaxBytes` is gathered in memory instead (never more than `length`), checked
    /// against its id, and stored with its row in one transaction: one log sync, no file.
    /// Throws `SyncError`, `APIError` (quota), `BlobStoreError` (hash, size, disk) or the body's
    /// `HTTPServerError`.
    func upload(_ id: BlobID, into vault: VaultID, user: Int64, length: Int64, body: HTTPRequestBody) async throws
        -> StoredUpload
    {
        let namespace = try Self.namespace(vault)
        let held = try await store.recordedBlobs(vault, user: user, among: [id], requiring: .write)
        let reserved = held.contains(id) ? 0 : length
        if reserved > 0 { try await quotas.reserve(reserved, forUser: user) }
        if isInline(length) {
            return try await uploadInline(id, into: vault, user: user, length: length, body: body, reserved: reserved)
        }
        var upload: (any BlobUpload)?
        var settled = false
        do {
            let disk = self.disk
            let started = try await Self.blocking { () throws(BlobStoreError) in
                try disk.beginUpload(namespace: namespace, id: id, expectedSize: length)
            }
            upload = started
            if let fillable = started as? any FillableBlobUpload, let buffers = try fillable.fillBuffers() {
                try await Self.fill(body, into: fillable, buffers: buffers, length: length)
            } else {
                try await Self.stream(body) { chunks in
                    for chunk in chunks { try chunk.withUnsafeBytes { try started.write($0) } }
                }
            }
            return try await locks.withLocks([BlobLocks.Key(vault: vault, blob: id)]) {
                let info = try await Self.waitingOnDisk { () throws(BlobStoreError) in try started.commit() }
                let new = try await uploadRecords.record(
                    vault, user: user, [StoredBlob(id: id, size: info.size)], reservedBytes: reserved)
                settled = true
                return StoredUpload(isNew: new.contains(id), size: info.size)
            }
        } catch {
            upload?.abort()
            if !settled && reserved > 0 { await release(reserved, of: user) }
            throw error
        }
    }

    /// The rest of `upload` for a blob of `length` ≤ `inlineMaxBytes` bytes, of which `reserved`
    /// are reserved: the body into one buffer of `length` bytes (a longer body is refused before
    /// anything past `length` is kept), the free-space reserve and the hash checked, then the
    /// row and the bytes recorded under the blob's lock.
    private func uploadInline(
        _ id: BlobID, into vault: VaultID, user: Int64, length: Int64, body: HTTPRequestBody, reserved: Int64
    ) async throws -> StoredUpload {
        var settled = false
        do {
            try disk.checkFreeSpace(forMore: length)
            var bytes: [UInt8] = []
            bytes.reserveCapacity(Int(length))
            for try await chunk in body {
                guard Int64(bytes.count + chunk.count) <= length else {
                    throw BlobStoreError.sizeMismatch(expected: length, actual: Int64(bytes.count + chunk.count))
                }
                bytes += chunk
            }
            guard Int64(bytes.count) == length else {
                throw BlobStoreError.sizeMismatch(expected: length, actual: Int64(bytes.count))
            }
            try id.check(bytes)
            let stored = bytes
            return try await locks.withLocks([BlobLocks.Key(vault: vault, blob: id)]) {
                let new = try await uploadRecords.record(
                    vault, user: user, [StoredBlob(id: id, size: length)], inline: [id: stored[...]], reservedBytes: reserved)
                settled = true
                return StoredUpload(isNew: new.contains(id), size: length)
            }
        } catch {
            if !settled && reserved > 0 { await release(reserved, of: user) }
            throw error
        }
    }

    /// Runs `body`, blocking work that mostly waits for the disk (an upload's commit: its fsyncs),
    /// on a thread of its own and returns what it returned. `blocking`'s queue runs on Dispatch's
    /// global pool, which on Linux keeps about one thread per core busy and adds one only when
    /// its monitor (about once a second) finds them blocked: eight uploads finishing together
    /// had their fsyncs run one or two at a time (docs/performance.md, "Publishing a PUT"). A
    /// serial queue of its own runs on an overcommit thread, started at once; at most one per
    /// upload in its commit, so as many as the server has uploads finishing at that moment.
    static func waitingOnDisk<Result: Sendable>(
        _ body: @escaping @Sendable () throws(BlobStoreError) -> Result
    ) async throws -> Result {
        try await HTTPBlockingWork.run(on: DispatchQueue(label: "coffre.blob.commit", qos: .userInitiated)) { try body() }
    }

    /// Gives back a reservation whose upload failed. A failure to do so is logged; the next
    /// start's reconciliation (`SyncStore.reconcileQuotaUsage`) corrects the count.
    func release(_ bytes: Int64, of user: Int64) async {
        do { try await quotas.release(bytes, forUser: user) } catch {
            logger.warning("could not give back an upload's quota reservation", metadata: ["error": "\(error)"])
        }
    }
}
