import CoffreProtocol
import HTTPServer

/// A download written whole and verified in its temp file, waiting for its placement group.
struct WrittenDownload: Sendable {
    /// The temp file.
    let writer: PlacementWriter
    /// The file's whole chunk list, as the index records it once the file is placed.
    let chunks: [ChunkReference]
}

/// Downloads one file (DESIGN §8): expands its manifest, copies the chunks already on disk
/// (the chunk cache, verified by their keys) and fetches only the others, decrypting and
/// verifying each (`FileOpener`), into a temp file beside the destination, which a
/// `PlacementGroup` renames into place only if the destination is still what was expected.
struct FileDownloader: Sendable {
    let remote: any SyncRemote
    let index: SyncIndex
    let root: SyncRoot
    let keyring: VaultKeyring
    let openers: [UInt32: FileOpener]
    let counters: TransferCounters
    let faultHook: SyncFaultHook?

    /// Downloads the file `attributes` describe into a temp file beside `path`; nothing is
    /// fsynced or renamed yet. `inlineCopies` is the chunk cache's answer for the chunks of
    /// every inline manifest of the batch (`inlineCopies(for:)`, one read for all); a file
    /// whose chunk list is in manifest blobs looks its chunks up itself.
    func write(
        _ attributes: EntryAttributes, to path: LocalPath, inlineCopies: LocalChunkCopies
    ) async throws -> WrittenDownload {
        guard let generation = keyring.generation(attributes.generation), let opener = openers[attributes.generation] else {
            throw SyncClientError.missingVaultKey(generation: Int64(attributes.generation))
        }
        let chunks = try await chunkList(of: attributes, cipher: generation.chunks)
        let copies = attributes.manifest.form == .indirect ? try await index.localCopies(of: chunks) : inlineCopies
        let onDisk = try chunks.contains { chunk in try copies.location(of: chunk) != nil }
        if chunks.count <= 1 && !onDisk {
            var blob: [UInt8]?
            if let chunk = chunks.first { blob = try await fetchBlob(chunk) }
            return try await writeWhole(attributes, chunk: chunks.first, blob: blob, to: path, cipher: generation.chunks)
        }
        let writer: PlacementWriter
        do {
            writer = try await assemble(
                chunks, of: attributes, at: path, copies: copies, cipher: generation.chunks, opener: opener, copyingUnchanged: true)
        } catch is CopySourceChanged {
            // The first temp file is gone with its writer; this one reads and verifies every chunk.
            writer = try await assemble(
                chunks, of: attributes, at: path, copies: copies, cipher: generation.chunks, opener: opener, copyingUnchanged: false)
        }
        try faultHook?(.beforePlacement)
        return WrittenDownload(writer: writer, chunks: chunks)
    }

    /// Writes `chunks` in order into a new temp file: runs that synced files hold unchanged
    /// copied on their metadata (`SyncedRangeCopier`, when `copyingUnchanged`), other chunks on
    /// disk read and verified by their keys (`LocalChunkSource`), the rest fetched. Throws
    /// `CopySourceChanged` when a copied run's file changed during the copy or before its second
    /// check: the temp file holds unproven bytes, and the caller writes the file again with
    /// `copyingUnchanged` false.
    private func assemble(
        _ chunks: [ChunkReference], of attributes: EntryAttributes, at path: LocalPath, copies: LocalChunkCopies,
        cipher: ChunkCipher, opener: FileOpener, copyingUnchanged: Bool
    ) async throws -> PlacementWriter {
        let (root, hook) = (root, faultHook)
        let writer = try await HTTPBlockingWork.run {
            try PlacementWriter(
                root: root, destination: path, mode: attributes.mode, modificationTime: attributes.modificationTime, faultHook: hook)
        }
        var fetches: [ChunkReference] = []
        // The run being gathered: chunks that lie one after the other in one provable file.
        var run: [(chunk: ChunkReference, location: ChunkLocation)] = []
        // Bytes copied on metadata, counted once their sources are confirmed.
        var copiedOnMetadata = 0

        func flushFetches() async throws {
            try await fetch(fetches, into: writer, cipher: cipher, opener: opener)
            fetches.removeAll()
        }
        /// A chunk on disk read and verified, or fetched.
        func verifyOrFetch(_ chunk: ChunkReference, at location: ChunkLocation) async throws {
            try await flushFetches()
            if try await HTTPBlockingWork.run({ try writer.copyLocalChunk(location, reference: chunk, cipher: cipher) }) {
                counters.addCopied(Int(chunk.length))
            } else {
                fetches.append(chunk)
            }
        }
        func flushRun() async throws {
            guard let first = run.first else { return }
            let members = run
            run.removeAll()
            let length = members.reduce(Int64(0)) { $0 + Int64($1.chunk.length) }
            switch try await HTTPBlockingWork.run({ try writer.copyUnchangedRange(first.location, length: length) }) {
            case .copied:
                copiedOnMetadata += Int(length)
            case .unavailable:
                for member in members { try await verifyOrFetch(member.chunk, at: member.location) }
            case .sourceChanged:
                throw CopySourceChanged()
            }
        }

        for chunk in chunks {
            let location = try copies.location(of: chunk)
            if copyingUnchanged, let location, location.length == chunk.length, SyncedRangeCopier.canProve(location) {
                if let last = run.last?.location, last.path == location.path, last.identity == location.identity,
                    last.offset + Int64(last.length) == location.offset
                {
                    run.append((chunk, location))
                    continue
                }
                try await flushRun()
                try await flushFetches()
                run = [(chunk, location)]
                continue
            }
            try await flushRun()
            if let location {
                try await verifyOrFetch(chunk, at: location)
            } else {
                fetches.append(chunk)
            }
        }
        try await flushRun()
        try await flushFetches()
        if copiedOnMetadata > 0 {
            guard try await HTTPBlockingWork.run({ try writer.confirmUnchangedRanges() }) else { throw CopySourceChanged() }
            counters.addCopied(copiedOnMetadata)
        }
        return writer
    }

    /// A file that runs were copied from changed before its second check (`assemble`).
    private struct CopySourceChanged: Error {}

    /// The chunk cache's answer for every chunk that the inline manifests of `attributes` list.
    func inlineCopies(for attributes: [EntryAttributes]) async throws -> LocalChunkCopies {
        let references = attributes.flatMap { attributes in attributes.manifest.form == .inline ? attributes.manifest.references : [] }
        return try await index.localCopies(of: references)
    }

    /// Plaintext bytes up to which a file's one chunk is fetched with others' (`getBlobs`).
    static let batchedChunkBytes = 256 << 10

    /// The one chunk of a small file that `write(_:chunk:fetched:to:)` can take fetched with
    /// others': an inline manifest of one chunk of at most `batchedChunkBytes`, not in the
    /// chunk cache (`inlineCopies`), of a key generation the keyring holds; nil for any other
    /// file, which `write(_:to:inlineCopies:)` downloads alone.
    func batchableChunk(of attributes: EntryAttributes, inlineCopies: LocalChunkCopies) throws -> ChunkReference? {
        guard attributes.manifest.form == .inline, attributes.manifest.references.count == 1,
            openers[attributes.generation] != nil
        else { return nil }
        let chunk = attributes.manifest.references[0]
        guard chunk.length <= Self.batchedChunkBytes, BlobID(bytes: chunk.blobID) != nil, try inlineCopies.location(of: chunk) == nil else {
            return nil
        }
        return chunk
    }

    /// Fetches the blobs of `chunks` (`batchableChunk`s) in as few requests as the remote can;
    /// one outcome per chunk, in order, each verified later by `write(_:chunk:fetched:to:)`.
    func fetchBatch(_ chunks: [ChunkReference]) async throws -> [Result<[UInt8], any Error>] {
        var requests: [BlobFetch] = []
        requests.reserveCapacity(chunks.count)
        for chunk in chunks {
            guard let id = BlobID(bytes: chunk.blobID) else {
                throw SyncClientError.protocolViolation("a manifest holds a malformed blob id")
            }
            requests.append(BlobFetch(id: id, capacity: ChunkCipher.blobByteCount(plaintextLength: Int(chunk.length))))
        }
        let outcomes = try await remote.getBlobs(requests)
        guard outcomes.count == chunks.count else {
            throw SyncClientError.protocolViolation("a blob fetch answered another number of blobs")
        }
        for case .success(let bytes) in outcomes { counters.addFetched(bytes.count) }
        return outcomes
    }

    /// Writes the file `attributes` describe, whose one chunk `chunk` was fetched with others
    /// (`fetchBatch`), into a temp file beside `path`, verifying the bytes as `write` does;
    /// the fetch's failure for this blob is this file's. Blocking: the caller writes the files
    /// of one fetch in one blocking call (a thread hop per 4 KiB file cost more than writing
    /// it), then calls the fault hook (`.beforePlacement`) for each.
    func writeFetched(
        _ attributes: EntryAttributes, chunk: ChunkReference, fetched: Result<[UInt8], any Error>, to path: LocalPath
    ) throws -> PlacementWriter {
        guard let generation = keyring.generation(attributes.generation) else {
            throw SyncClientError.missingVaultKey(generation: Int64(attributes.generation))
        }
        let blob = try fetched.get()
        let writer = try PlacementWriter(root: root, destination: path, mode: attributes.mode, modificationTime: attributes.modificationTime)
        try writer.writeOpened(blob, reference: chunk, cipher: generation.chunks)
        return writer
    }

    /// A file of at most one chunk, none of it on disk, its blob fetched: written and verified
    /// in one blocking call.
    private func writeWhole(
        _ attributes: EntryAttributes, chunk: ChunkReference?, blob: [UInt8]?, to path: LocalPath, cipher: ChunkCipher
    ) async throws -> WrittenDownload {
        let (root, fetched) = (root, blob)
        let writer = try await HTTPBlockingWork.run { () throws -> PlacementWriter in
            let writer = try PlacementWriter(
                root: root, destination: path, mode: attributes.mode, modificationTime: attributes.modificationTime)
            if let fetched, let chunk { try writer.writeOpened(fetched, reference: chunk, cipher: cipher) }
            return writer
        }
        try faultHook?(.beforePlacement)
        return WrittenDownload(writer: writer, chunks: chunk.map { [$0] } ?? [])
    }

    /// The file's chunks: the inline list, or the list its manifest blobs hold (fetched,
    /// verified like chunks, docs/format.md "Indirect manifests").
    private func chunkList(of attributes: EntryAttributes, cipher: ChunkCipher) async throws -> [ChunkReference] {
        guard attributes.manifest.form == .indirect else { return attributes.manifest.references }
        var blobs: [[UInt8]: [UInt8]] = [:]
        for reference in attributes.manifest.references {
            blobs[reference.blobID] = try await fetchBlob(reference)
        }
        return try ManifestPacking.chunks(of: attributes.record(kind: .file), using: cipher) { (id: [UInt8]) throws(CryptoFormatError) in
            guard let blob = blobs[id] else { throw .malformed(structure: "manifest", reason: "a manifest blob is missing") }
            return blob
        }
    }

    /// Fetches and writes `chunks` in order: one small chunk straight through, several through
    /// the opener's parallel pipeline.
    private func fetch(
        _ chunks: [ChunkReference], into writer: PlacementWriter, cipher: ChunkCipher, opener: FileOpener
    ) async throws {
        guard !chunks.isEmpty else { return }
        if chunks.count == 1 {
            let blob = try await fetchBlob(chunks[0])
            try await HTTPBlockingWork.run { try writer.writeOpened(blob, reference: chunks[0], cipher: cipher) }
            return
        }
        let remote = remote
        let counters = counters
        _ = try await opener.open(chunks, writingTo: writer.fileDescriptor) { id, buffer in
            guard let blobID = BlobID(bytes: id) else { throw SyncClientError.protocolViolation("a manifest holds a malformed blob id") }
            try await remote.getBlob(blobID, into: &buffer)
            counters.addFetched(buffer.count)
        }
    }

    /// Fetches one blob whole; it may not be larger than the blob of its plaintext length.
    private func fetchBlob(_ reference: ChunkReference) async throws -> [UInt8] {
        guard let id = BlobID(bytes: reference.blobID) else { throw SyncClientError.protocolViolation("a manifest holds a malformed blob id") }
        let bytes = try await remote.getBlob(id, capacity: ChunkCipher.blobByteCount(plaintextLength: Int(reference.length)))
        counters.addFetched(bytes.count)
        return bytes
    }
}
