import CoffreCrypto
import CoffreProtocol

/// PUT: the body is chunked and sealed as it arrives (never held whole), the blobs the server
/// lacks are uploaded in groups, and the new record is committed with the rev the request saw
/// as `baseRev` (the If-Match / If-None-Match condition checked against that same state).
extension VaultDAVStorage {
    /// Sealed blobs handed to the uploader at once, at most (each one chunk, at most 2 MiB).
    static let uploadGroupSize = 16
    /// Bytes of a group, at most: one batch request (`BlobUploader.batchByteLimit`). Every group
    /// costs a "missing" question and a batch whose blob rows coffred records in a transaction
    /// of its own (one WAL sync); groups of 4 blobs made 64 of each per 256 MiB, now about 16
    /// (docs/performance.md, "WebDAV gateway").
    static let uploadGroupBytes = BlobUploader.batchByteLimit
    /// Groups uploading at once while the sealer goes on: one group at a time left the disk
    /// idle while the next group was sealed and sent, and held the sealer while it waited. At
    /// most `uploadsInFlight + 1` groups (64 MiB) are held, plus the spare arrays of one group
    /// waiting to be refilled (`BlobCopyPool`).
    static let uploadsInFlight = 3

    /// A sealed body: the record's manifest, the blobs it references, and those of them not
    /// uploaded yet, which go with the commit (`CommitWithBlobs`).
    struct SealedBody {
        var manifest: EntryRecord.Manifest
        var size: UInt64
        var blobs: [BlobID]
        var carried: [BlobPayload] = []
    }

    public func write<Body: AsyncSequence & Sendable>(
        _ path: DAVPath, body: Body, condition: DAVWriteCondition
    ) async throws -> DAVWriteResult where Body.Element == [UInt8] {
        let (parent, existing) = try target(path, in: snapshot())
        if let existing, existing.kind == .folder { throw DAVError.methodNotAllowed }
        // RFC 9110 §13.1.1-2: checked against the state the commit's baseRev names, so the
        // server's compare-and-swap makes the check and the replacement one atomic step.
        guard condition.holds(currentETag: existing?.etag) else { throw DAVError.preconditionFailed }
        if let existing, existing.record == nil { throw DAVError.preconditionFailed }
        let sealed = try await seal(body)
        let generation = keyring.newest.number
        let record = EntryRecord(
            kind: .file, name: path.name, modificationTime: Self.now, mode: existing?.record?.mode ?? 0o644, size: sealed.size,
            manifest: sealed.manifest, deadProperties: existing?.record?.deadProperties ?? [])
        var node: VaultNode
        if let existing, existing.kind == .file {
            node = existing
            node.record = record
            node.generation = generation
        } else {
            node = try newNode(kind: .file, parent: parent, record: record, generation: generation)
        }
        // A symlink at the path is replaced by a new file entry (an entry's kind never changes).
        var edits: [Edit] = []
        if let existing, existing.kind != .file { edits.append(tombstone(of: existing)) }
        edits.append(Edit(node: node, baseRev: existing?.kind == .file ? existing!.rev : 0, blobs: sealed.blobs))
        let seq = try await commit(edits, carrying: sealed.carried)
        return DAVWriteResult(etag: "r\(seq)", created: existing == nil)
    }

    /// Seals `body`: a body of at most the chunker's minimum size is one chunk by the format,
    /// sealed here and carried by the commit (one request to coffred for the whole PUT); a
    /// larger one streams through the sealer's pipeline, which uploads its blobs.
    private func seal<Body: AsyncSequence & Sendable>(_ body: Body) async throws -> SealedBody where Body.Element == [UInt8] {
        let generation = keyring.newest
        let limit = generation.chunker.parameters.minimumSize
        var iterator = body.makeAsyncIterator()
        var prefix: [UInt8] = []
        while prefix.count <= limit, let piece = try await iterator.next() {
            prefix += piece
        }
        guard prefix.count > limit else {
            defer { SecretBytes.wipe(&prefix) }
            guard !prefix.isEmpty else { return SealedBody(manifest: .inline([]), size: 0, blobs: []) }
            let chunk = try generation.chunks.seal(prefix)
            let id = BlobID(bytes: chunk.reference.blobID)!
            return SealedBody(
                manifest: .inline([chunk.reference]), size: UInt64(prefix.count), blobs: [id],
                carried: [BlobPayload(id: id, bytes: chunk.blob)])
        }
        let source = VaultBodySource(prefix: prefix, limit: Self.bodyQueueLimit)
        async let sealing = sealStream(source)
        do {
            while let piece = try await iterator.next() { try await source.push(piece) }
            source.finish()
        } catch {
            source.fail(error)
            _ = try await sealing
            throw error
        }
        return try await sealing
    }

    /// Runs the sealer over `source`, uploading blobs in groups as they come (up to
    /// `uploadsInFlight` groups uploading while the next fills), then the manifest blobs of a
    /// long chunk list. Every group is uploaded before the caller commits.
    private func sealStream(_ source: VaultBodySource) async throws -> SealedBody {
        defer { source.close() }
        let sender = VaultBlobSender(remote: remote)
        var group: [BlobPayload] = []
        var groupBytes = 0
        // Each upload task hands its group back, so the next group refills the same arrays.
        var uploading: [Task<[BlobPayload], any Error>] = []
        var copies = BlobCopyPool(spareByteLimit: Self.uploadGroupBytes + ChunkCipher.maximumBlobByteCount)
        let file: SealedFile
        do {
            file = try await sealer.seal(source) { blob in
                if !group.isEmpty, group.count == Self.uploadGroupSize || groupBytes + blob.byteCount > Self.uploadGroupBytes {
                    let full = group
                    group.removeAll()
                    groupBytes = 0
                    if uploading.count == Self.uploadsInFlight { copies.recycle(try await uploading.removeFirst().value) }
                    uploading.append(Task {
                        try await sender.send(full)
                        return full
                    })
                }
                let bytes = copies.copy(blob)
                group.append(BlobPayload(id: BlobID(bytes: blob.blobID)!, bytes: bytes))
                // Counted by capacity: a reused array may be larger than its blob.
                groupBytes += bytes.capacity
            }
            while !uploading.isEmpty { _ = try await uploading.removeFirst().value }
        } catch {
            // No upload goes on behind a failed PUT: the others are cancelled and waited for.
            for task in uploading { task.cancel() }
            for task in uploading { _ = try? await task.value }
            throw error
        }
        try await sender.send(group)
        let packed = try ManifestPacking.pack(file.chunks, using: keyring.newest.chunks)
        try await sender.send(packed.blobs.map { BlobPayload(id: BlobID(bytes: $0.reference.blobID)!, bytes: $0.blob) })
        var blobs = file.chunks.compactMap { BlobID(bytes: $0.blobID) }
        blobs += packed.blobs.compactMap { BlobID(bytes: $0.reference.blobID) }
        return SealedBody(manifest: packed.manifest, size: file.byteCount, blobs: blobs)
    }
}
