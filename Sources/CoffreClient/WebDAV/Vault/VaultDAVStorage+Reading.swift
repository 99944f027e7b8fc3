import CoffreProtocol
import HTTPServer

/// GET and HEAD: a read fetches only the chunks covering the range asked for, opens each
/// (GCM tag, framing, key commitment: `ChunkCipher.openCommitted`; the blob id adds nothing
/// here, docs/threat-model.md "Why a read need not hash the blob") and streams the plaintext.
extension VaultDAVStorage {
    /// Largest read answered as one piece of memory instead of a stream.
    static let inlineReadLimit = 1 << 20
    /// Chunks fetched and opened ahead of the one being sent (each at most 4 MiB).
    static let readAhead = 3
    /// Chunks larger than this are opened on the blocking-work queue, off Swift's pool.
    static let inlineOpenLimit = 64 << 10

    public func read(_ path: DAVPath, range: ClosedRange<Int64>?) async throws -> DAVContent {
        guard case .entry(let node) = snapshot().lookup(path), node.record != nil else { throw DAVError.notFound }
        return try await content(of: node, range: range)
    }

    public func readWithInfo(_ path: DAVPath) async throws -> (info: DAVResourceInfo, content: DAVContent)? {
        switch snapshot().lookup(path) {
        case .root: return try await info(at: path, withProperties: false).map { ($0, .bytes([])) }
        case .absent, .noParent: return nil
        case .entry(let node):
            let info = try Self.info(of: node, at: path, withProperties: false)
            return (info, node.kind == .file ? try await content(of: node, range: nil) : .bytes([]))
        }
    }

    /// The plaintext of `node` within `range` (all of it when nil).
    private func content(of node: VaultNode, range: ClosedRange<Int64>?) async throws -> DAVContent {
        guard let record = node.record, node.kind == .file, record.size > 0 else { return .bytes([]) }
        let size = Int64(record.size)
        let wanted = range ?? 0...(size - 1)
        guard wanted.lowerBound >= 0, wanted.upperBound < size else { throw DAVError.badRequest("range outside the content") }
        let cipher = try chunkCipher(for: node)
        let chunks = try await chunkList(of: record, cipher: cipher)
        // The chunks covering the range, with the part of each that is wanted.
        var pieces: [(reference: ChunkReference, part: Range<Int>)] = []
        var offset: Int64 = 0
        for chunk in chunks {
            let end = offset + Int64(chunk.length)
            if end > wanted.lowerBound && offset <= wanted.upperBound {
                let from = Int(max(wanted.lowerBound, offset) - offset)
                let to = Int(min(wanted.upperBound + 1, end) - offset)
                pieces.append((chunk, from..<to))
            }
            offset = end
            if offset > wanted.upperBound { break }
        }
        let length = wanted.upperBound - wanted.lowerBound + 1
        if pieces.count == 1, length <= Self.inlineReadLimit {
            return .bytes(Array(try await plaintext(of: pieces[0].reference, cipher: cipher)[pieces[0].part]))
        }
        let selected = pieces
        return .stream(length: length) { [self] emit in
            // In order, with up to `readAhead` chunks fetched and opened ahead of the one sent.
            var ahead: [Task<[UInt8], any Error>] = []
            defer { for task in ahead { task.cancel() } }
            var next = 0
            for piece in selected {
                while next < selected.count && ahead.count <= Self.readAhead {
                    let reference = selected[next].reference
                    ahead.append(Task { try await self.plaintext(of: reference, cipher: cipher) })
                    next += 1
                }
                let bytes = try await ahead.removeFirst().value
                try await emit(piece.part.count == bytes.count ? bytes : Array(bytes[piece.part]))
            }
        }
    }

    /// The chunk cipher of the generation `node`'s content is sealed under.
    func chunkCipher(for node: VaultNode) throws(DAVError) -> ChunkCipher {
        guard let generation = keyring.generation(node.generation) else { throw DAVError.storage("no key for this content") }
        return generation.chunks
    }

    /// A file's chunks: the inline list, or the list its manifest blobs hold (each fetched
    /// and checked like a chunk, docs/format.md "Indirect manifests").
    func chunkList(of record: EntryRecord, cipher: ChunkCipher) async throws -> [ChunkReference] {
        guard case .indirect(let manifestBlobs) = record.manifest else {
            if case .inline(let chunks) = record.manifest { return chunks }
            return []
        }
        var blobs: [[UInt8]: [UInt8]] = [:]
        for reference in manifestBlobs { blobs[reference.blobID] = try await fetch(reference).withBytes { Array($0) } }
        return try ManifestPacking.chunks(of: record, using: cipher) { (id: [UInt8]) throws(CryptoFormatError) in
            guard let blob = blobs[id] else { throw .malformed(structure: "manifest", reason: "a manifest blob is missing") }
            return blob
        }
    }

    /// Every blob a file's revision references: its chunks and, for an indirect manifest, the
    /// manifest blobs (the server keeps them while a revision lists them; GC frees the rest).
    func blobIDs(of node: VaultNode) async throws -> [BlobID] {
        guard node.kind == .file, let record = node.record else { return [] }
        var ids = try await chunkList(of: record, cipher: try chunkCipher(for: node)).compactMap { BlobID(bytes: $0.blobID) }
        if case .indirect(let manifestBlobs) = record.manifest { ids += manifestBlobs.compactMap { BlobID(bytes: $0.blobID) } }
        return ids
    }

    /// The opened chunk, from the cache or fetched: decrypted from where the blob was received
    /// straight into the array that is sent, each slice hashed for the key commitment as it is
    /// decrypted (`ChunkCipher.openCommitted`); a large one off Swift's pool.
    private func plaintext(of reference: ChunkReference, cipher: ChunkCipher) async throws -> [UInt8] {
        if let cached = cache.chunk(for: reference) { return cached }
        let blob = try await fetch(reference)
        let opened = reference.length > Self.inlineOpenLimit
            ? try await HTTPBlockingWork.run { try blob.withBytes { try cipher.openCommitted($0, reference: reference) } }
            : try blob.withBytes { try cipher.openCommitted($0, reference: reference) }
        cache.keep(opened, for: reference)
        return opened
    }

    /// Fetches one blob; it may not be larger than the blob of its plaintext length.
    private func fetch(_ reference: ChunkReference) async throws -> VaultFetchedBlob {
        guard let id = BlobID(bytes: reference.blobID) else { throw DAVError.storage("a manifest holds a malformed blob id") }
        let blob = VaultFetchedBlob(capacity: ChunkCipher.blobByteCount(plaintextLength: Int(reference.length)))
        try await blob.fill(id, from: remote)
        return blob
    }
}
