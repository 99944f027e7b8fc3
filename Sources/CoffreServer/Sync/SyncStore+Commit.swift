import CoffreProtocol
import SQLiteStore

/// Commits (DESIGN §7): a batch of entry changes applied in one SQLite transaction, all or nothing.
extension SyncStore {
    /// Applies `request` to `vault` as `user` (write or owner role).
    ///
    /// Shape and limits are checked first (`invalidRequest`); then, in one IMMEDIATE transaction:
    /// membership and role, a remembered commit id (a retry answers the original receipt, a reused
    /// id with other changes throws `commitIDReused`), every rule of `CommitValidator`, and the
    /// writes. On success the vault's `seq` grows by one, every entry of the batch gets
    /// `rev = seq`, each gets one new revision, and long-poll waiters are woken. On a conflict
    /// nothing is written and every conflicting entry is listed.
    public func commit(
        _ vault: VaultID, user: Int64, _ request: CommitRequest
    ) async throws(SyncError) -> CommitOutcome {
        do {
            return try await commit(vault, user: user, request, carrying: [], inline: [:], quota: .reserved(0))
        } catch {
            // With nothing carried no quota is taken, so every error is the engine's own.
            throw SyncError.from(error)
        }
    }

    /// `commit`, recording in the same transaction the blobs the request carried
    /// (`CommitWithBlobs`), whose bytes the blob layer made durable before calling (blobs before
    /// metadata, DESIGN §5) or hands over in `inline`, to be stored with their rows in this
    /// transaction (docs/storage-blobs.md, "Two homes"); `quota` says whether the blob layer
    /// reserved their quota or this transaction does.
    ///
    /// The carried blobs count as held by the vault for the commit's blob check. When the commit
    /// lands they are recorded as uploads (`recordUploads`), charged to `user`; when it is
    /// rejected or replays a remembered commit, no blob row is written and a reservation made
    /// before is given back, all in the one transaction (one log sync). Throws `SyncError`, or
    /// `APIError.quotaExceeded` when `quota` is `.inTransaction` and the blobs new to the vault
    /// do not fit. When this throws, the transaction rolled back and a reservation made before
    /// is the caller's to give back.
    func commit(
        _ vault: VaultID, user: Int64, _ request: CommitRequest, carrying blobs: [StoredBlob],
        inline: [BlobID: ArraySlice<UInt8>], quota: CarriedQuota
    ) async throws -> CommitOutcome {
        try checkShape(request)
        var sizes: [BlobID: Int64] = [:]
        for blob in blobs { sizes[blob.id] = blob.size }
        let reservedBytes = quota.reservedBytes
        guard sizes.values.allSatisfy({ $0 >= 0 }), reservedBytes >= 0 else {
            throw SyncError.invalidRequest("a blob size cannot be negative")
        }
        let digest = request.commitId == nil ? nil : try CommitDigest.compute(request, user: user)
        let now = clock.now()
        let carried = sizes
        let outcome: CommitOutcome
        do {
            outcome = try await database.queue.write { [limits] db in
                try Self.commit(
                    db, vault: vault, user: user, request, digest: digest, carried: carried, inline: inline, quota: quota,
                    now: now, limits: limits)
            }
        } catch let refusal as APIError {
            // QuotaService.reserve's refusal (507) or a user gone meanwhile, as the blob layer's own.
            throw refusal
        } catch {
            throw SyncError.from(error)
        }
        if case .committed(let receipt) = outcome, !receipt.replayed {
            notifier.committed(vault: vault, seq: receipt.seq)
        }
        return outcome
    }

    /// The commit's transaction body (see `commit(_:user:_:carrying:inline:quota:)`).
    private static func commit(
        _ db: Connection, vault: VaultID, user: Int64, _ request: CommitRequest, digest: [UInt8]?,
        carried: [BlobID: Int64], inline: [BlobID: ArraySlice<UInt8>], quota: CarriedQuota, now: Int64,
        limits: SyncLimits
    ) throws -> CommitOutcome {
        let reservedBytes = quota.reservedBytes
        let access = try VaultAccess.check(db, vault: vault, user: user, requiring: .write)
        if let commitID = request.commitId, let digest,
            let seq = try rememberedCommit(db, vault: access.rowID, id: commitID, digest: digest)
        {
            try settleReservation(db, user: user, reservedBytes: reservedBytes, chargedBytes: 0)
            return CommitOutcome.committed(CommitReceipt(seq: seq, replayed: true))
        }
        let conflicts = try CommitValidator(
            db: db, vault: access.rowID, changes: request.changes, carried: Set(carried.keys)
        ).conflicts()
        guard conflicts.isEmpty else {
            try settleReservation(db, user: user, reservedBytes: reservedBytes, chargedBytes: 0)
            return .rejected(CommitRejection(seq: access.seq, conflicts: conflicts))
        }
        if !carried.isEmpty {
            var reserved = reservedBytes
            if quota == .inTransaction {
                // Quota before bytes: the new blobs' bytes are reserved before their rows are written.
                let new = try missing(db, vault: access.rowID, ids: Array(carried.keys))
                reserved = new.reduce(0) { $0 + (carried[$1] ?? 0) }
                if reserved > 0 { try QuotaService.reserve(reserved, forUser: user, in: db) }
            }
            _ = try recordUploads(
                db, vault: access.rowID, user: user, carried, inline: inline, reservedBytes: reserved, now: now)
        }
        let seq = access.seq + 1
        try CommitWriter(db: db, vault: access.rowID, seq: seq, now: now).write(request.changes)
        try db.execute("UPDATE vaults SET seq = ? WHERE id = ?", [seq, access.rowID])
        if let commitID = request.commitId, let digest {
            try db.withStatement(rememberCommitSQL) { remember in
                try remember.bind(access.rowID, at: 1)
                try remember.bind(commitID.bytes, at: 2)
                try remember.bind(digest, at: 3)
                try remember.bind(seq, at: 4)
                try remember.bind(now, at: 5)
                while try remember.step() {}
            }
        }
        if forgetsCommitIDs(atSeq: seq, remembering: limits.rememberedCommitsPerVault) {
            // One pass over the vault's remembered ids (primary key prefix; no index on seq,
            // migration 0006), every `forgetInterval` commits.
            try db.execute(
                "DELETE FROM commits WHERE vault = ? AND seq <= ?", [access.rowID, seq - limits.rememberedCommitsPerVault])
        }
        return .committed(CommitReceipt(seq: seq, replayed: false))
    }

    static let rememberCommitSQL =
        "INSERT INTO commits (vault, commit_id, request_digest, seq, created) VALUES (?, ?, ?, ?, ?)"

    /// Whether the commit landing at `seq` forgets the commit ids older than the last
    /// `remembered` commits: every `forgetInterval(remembering:)`-th commit does, so a vault
    /// keeps the ids of at least its last `remembered` commits and of fewer than
    /// `remembered + forgetInterval` (migration 0006, `CommitPagesSchema`).
    static func forgetsCommitIDs(atSeq seq: Int64, remembering remembered: Int64) -> Bool {
        seq > remembered && seq % forgetInterval(remembering: remembered) == 0
    }

    /// A tenth of `remembered` (at least 1): the pass over about `1.1 × remembered` rows is
    /// shared by that many commits.
    static func forgetInterval(remembering remembered: Int64) -> Int64 {
        max(1, remembered / 10)
    }

    /// The seq a remembered commit landed at, or nil when `id` is unknown in the vault. A known
    /// id whose digest differs is a reuse with other changes (or by another user).
    private static func rememberedCommit(
        _ db: Connection, vault: Int64, id: CommitID, digest: [UInt8]
    ) throws -> Int64? {
        let remembered = try db.fetchOne(
            "SELECT request_digest, seq FROM commits WHERE vault = ? AND commit_id = ?", [vault, id.bytes]
        ) { row in (digest: try row.blob(at: 0), seq: try row.int64(at: 1)) }
        guard let remembered else { return nil }
        guard remembered.digest == digest else { throw SyncError.commitIDReused }
        return remembered.seq
    }

    /// Limits and shape, checked before the database is touched (and, by the blob layer, before
    /// a carried blob is written).
    func checkShape(_ request: CommitRequest) throws(SyncError) {
        let changes = request.changes
        guard !changes.isEmpty else { throw .invalidRequest("a commit needs at least one change") }
        guard changes.count <= limits.maxEntriesPerCommit else {
            throw .invalidRequest("a commit holds at most \(limits.maxEntriesPerCommit) changes")
        }
        var entries = Set<EntryID>()
        entries.reserveCapacity(changes.count)
        var blobCount = 0
        for change in changes {
            guard !change.entryId.isRoot else { throw .invalidRequest("the root folder cannot be committed") }
            guard entries.insert(change.entryId).inserted else {
                throw .invalidRequest("each entry appears at most once in a commit")
            }
            guard change.baseRev >= 0 else { throw .invalidRequest("baseRev cannot be negative") }
            guard (1...limits.maxRecordBytes).contains(change.record.count) else {
                throw .invalidRequest("a record must be 1 to \(limits.maxRecordBytes) bytes")
            }
            guard change.blobs.count <= limits.maxBlobsPerEntry else {
                throw .invalidRequest("an entry references at most \(limits.maxBlobsPerEntry) blobs")
            }
            blobCount += change.blobs.count
        }
        guard blobCount <= limits.maxBlobsPerCommit else {
            throw .invalidRequest("a commit references at most \(limits.maxBlobsPerCommit) blobs")
        }
    }
}
