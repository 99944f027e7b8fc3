import CoffreProtocol
import HTTPServer

/// GET and HEAD: a read fetches only the chunks covering the range asked for, opens each
/// (GCM tag, framing, key commitment: `ChunkCipher.openCommitted`; the blob id adds nothing
/// here, docs/threat-model.md "Why a read need not hash the blob") and streams the plaintext.
/// A stream opens its chunks two at a time, the two key commitments hashed as a pair of
/// SHA-NI streams (`VaultChunkOpener`).
extension VaultDAVStorage {
    /// Largest read answered as one piece of memory instead of a stream.
    static let inlineReadLimit = 1 << 20
    /// Groups of two chunks fetched and opened ahead of the group being sent (each chunk at
    /// most 4 MiB, 1 MiB on average): up to six chunks in flight.
    static let readAhead = 2
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
        // Pairs of consecutive chunks, opened together.
        let groups = stride(from: 0, to: pieces.count, by: 2).map { Array(pieces[$0..<min($0 + 2, pieces.count)]) }
        return .stream(length: length) { [self] emit in
            // In order, with up to `readAhead` groups fetched and opened ahead of the one sent.
            var ahead: [Task<[Result<[UInt8], any Error>], Never>] = []
            defer { for task in ahead { task.cancel() } }
            var next = 0
            for group in groups {
                while next < groups.count && ahead.count <= Self.readAhead {
                    let references = groups[next].map(\.reference)
                    ahead.append(Task { await self.plaintexts(of: references, cipher: cipher) })
                    next += 1
                }
                let opened = await ahead.removeFirst().value
                // A chunk refused mid-stream ends the body there: what came before it is sent.
                for (piece, outcome) in zip(group, opened) {
                    let bytes = try outcome.get()
                    try await emit(piece.part.count == bytes.count ? bytes : Array(bytes[piece.part]))
                }
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
        for reference in manifestBlobs {
            let blob = try await opener.fetch(reference, from: remote)
            blobs[reference.blobID] = blob.withBytes { Array($0) }
            opener.recycle(blob)
        }
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
        let blob = try await opener.fetch(reference, from: remote)
        defer { opener.recycle(blob) }
        return try await open(blob, reference: reference, cipher: cipher)
    }

    /// The opened chunks of `references` (one or two), each from the cache or fetched (both
    /// at once); two fetched are opened together, their commitments hashed as a pair, off
    /// Swift's pool when large. One outcome per chunk, in order.
    private func plaintexts(of references: [ChunkReference], cipher: ChunkCipher) async -> [Result<[UInt8], any Error>] {
        var outcomes: [Result<[UInt8], any Error>] = []
        guard references.count == 2, cache.chunk(for: references[0]) == nil, cache.chunk(for: references[1]) == nil else {
            for reference in references { outcomes.append(await outcome { try await plaintext(of: reference, cipher: cipher) }) }
            return outcomes
        }
        let (first, second) = (references[0], references[1])
        let (opener, remote) = (self.opener, self.remote)
        async let fetchingFirst = outcome { try await opener.fetch(first, from: remote) }
        async let fetchingSecond = outcome { try await opener.fetch(second, from: remote) }
        let fetched = await [fetchingFirst, fetchingSecond]
        defer { for case .success(let blob) in fetched { opener.recycle(blob) } }
        guard case .success(let firstBlob) = fetched[0], case .success(let secondBlob) = fetched[1] else {
            // A fetch failed: the other chunk, if fetched, is opened alone.
            for (blob, reference) in zip(fetched, references) {
                outcomes.append(await outcome { try await open(blob.get(), reference: reference, cipher: cipher) })
            }
            return outcomes
        }
        let openBoth = { @Sendable in opener.open((firstBlob, first), (secondBlob, second), cipher: cipher) }
        let opened = Int(first.length) + Int(second.length) > Self.inlineOpenLimit
            ? await outcome { try await HTTPBlockingWork.run(openBoth) } : .success(openBoth())
        switch opened {
        // `HTTPBlockingWork.run` is declared throwing for bodies that throw; this one does not.
        case .failure(let error): return [.failure(error), .failure(error)]
        case .success(let opened):
            for (chunk, reference) in [(opened.first, first), (opened.second, second)] {
                if case .success(let bytes) = chunk { cache.keep(bytes, for: reference) }
                outcomes.append(chunk.mapError { $0 })
            }
            return outcomes
        }
    }

    /// Opens one fetched chunk (off Swift's pool when large) and keeps it in the cache.
    private func open(_ blob: VaultFetchedBlob, reference: ChunkReference, cipher: ChunkCipher) async throws -> [UInt8] {
        let opener = self.opener
        let opened = reference.length > Self.inlineOpenLimit
            ? try await HTTPBlockingWork.run { try opener.open(blob, reference: reference, cipher: cipher) }
            : try opener.open(blob, reference: reference, cipher: cipher)
        cache.keep(opened, for: reference)
        return opened
    }
}

/// What `body` returned or threw, as a value.
private func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}
