import CoffreProtocol
import HTTPServer

/// How a download ended.
enum DownloadOutcome: Sendable {
    /// In place, durably; its metadata and the whole chunk list.
    case placed(FileMetadata, chunks: [ChunkReference])
    /// The destination is not what was expected any more (edited meanwhile): nothing was
    /// replaced; the next round sees the edit and handles the conflict.
    case destinationChanged
}

/// Downloads one file (DESIGN §8): expands its manifest, copies the chunks already on disk
/// (the chunk cache, verified by their keys) and fetches only the others, decrypting and
/// verifying each (`FileOpener`), into a temp file beside the destination, which
/// `FilePlacement` renames into place only if the destination is still what was expected.
struct FileDownloader: Sendable {
    let remote: any SyncRemote
    let index: SyncIndex
    let root: SyncRoot
    let keyring: VaultKeyring
    let openers: [UInt32: FileOpener]
    let counters: TransferCounters
    let faultHook: SyncFaultHook?

    /// Downloads the file `attributes` describe to `path`, expecting `expectation` there.
    func download(_ attributes: EntryAttributes, to path: LocalPath, expecting expectation: PlacementExpectation) async throws -> DownloadOutcome {
        guard let generation = keyring.generation(attributes.generation), let opener = openers[attributes.generation] else {
            throw SyncClientError.missingVaultKey(generation: Int64(attributes.generation))
        }
        let chunks = try await chunkList(of: attributes, cipher: generation.chunks)
        let copies = try await index.localCopies(of: chunks.compactMap { BlobID(bytes: $0.blobID) })
        if chunks.count <= 1 && copies.isEmpty {
            return try await downloadWhole(attributes, chunk: chunks.first, to: path, expecting: expectation, cipher: generation.chunks)
        }
        let writer = try await HTTPBlockingWork.run {
            try PlacementWriter(root: root, destination: path, mode: attributes.mode, modificationTime: attributes.modificationTime)
        }
        var pending: [ChunkReference] = []
        for chunk in chunks {
            if let id = BlobID(bytes: chunk.blobID), let location = copies[id] {
                try await fetch(pending, into: writer, cipher: generation.chunks, opener: opener)
                pending.removeAll()
                let cipher = generation.chunks
                if try await HTTPBlockingWork.run({ try writer.copyLocalChunk(location, reference: chunk, cipher: cipher) }) {
                    counters.addCopied(Int(chunk.length))
                    continue
                }
            }
            pending.append(chunk)
        }
        try await fetch(pending, into: writer, cipher: generation.chunks, opener: opener)
        let hook = faultHook
        let result = try await HTTPBlockingWork.run { () throws -> PlacementResult in
            try hook?(.beforePlacement)
            return try writer.commitOrDiscard(expecting: expectation)
        }
        return try placed(result, chunks: chunks)
    }

    /// A file of at most one chunk, none of it on disk: fetched, then written, verified and
    /// placed in one blocking call (most files of a folder of small files take this way).
    private func downloadWhole(
        _ attributes: EntryAttributes, chunk: ChunkReference?, to path: LocalPath, expecting expectation: PlacementExpectation,
        cipher: ChunkCipher
    ) async throws -> DownloadOutcome {
        var blob: [UInt8]?
        if let chunk { blob = try await fetchBlob(chunk) }
        let (root, hook, fetched) = (root, faultHook, blob)
        let result = try await HTTPBlockingWork.run { () throws -> PlacementResult in
            let writer = try PlacementWriter(
                root: root, destination: path, mode: attributes.mode, modificationTime: attributes.modificationTime)
            if let fetched, let chunk { try writer.writeOpened(fetched, reference: chunk, cipher: cipher) }
            try hook?(.beforePlacement)
            return try writer.commitOrDiscard(expecting: expectation)
        }
        return try placed(result, chunks: chunk.map { [$0] } ?? [])
    }

    private func placed(_ result: PlacementResult, chunks: [ChunkReference]) throws -> DownloadOutcome {
        guard case .placed(let metadata) = result else { return .destinationChanged }
        try faultHook?(.afterPlacement)
        return .placed(metadata, chunks: chunks)
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
        let capacity = ChunkCipher.blobByteCount(plaintextLength: Int(reference.length))
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { storage.deallocate() }
        var buffer = BlobFetchBuffer(storage: storage, chunkIndex: 0)
        try await remote.getBlob(id, into: &buffer)
        counters.addFetched(buffer.count)
        return Array(UnsafeRawBufferPointer(rebasing: storage[0..<buffer.count]))
    }
}
