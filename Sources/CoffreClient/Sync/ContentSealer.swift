import CoffreCrypto
import CoffreProtocol
import HTTPServer

/// A local file's content, sealed.
struct SealedContent: Sendable {
    /// The whole chunk list.
    let chunks: [ChunkReference]
    /// The record's manifest (inline, or the blobs of an indirect manifest).
    let manifest: StoredManifest
    /// The file as it was read, start to end unchanged.
    let metadata: FileMetadata
}

/// How sealing a file went.
enum SealResult: Sendable {
    case sealed(SealedContent)
    /// open(2) or read(2) failed with this errno (EACCES: no permission).
    case unreadable(errno: Int32)
    /// The file changed while it was read, or is gone or replaced: retry later.
    case changedWhileReading
}

/// Reads local files consistently (`StableFileReader`) and seals them (docs/format.md): a file
/// of at most the chunker's minimum size is one chunk by the format and is sealed in place;
/// larger files go through `FileSealer`'s parallel pipeline, their blobs streamed to the
/// uploader in groups that upload while sealing goes on. With no uploader it only computes the manifest (to compare a local
/// file with a remote one).
struct ContentSealer: Sendable {
    /// Blobs of a large file handed to the uploader at once (one "missing" question).
    static let uploadGroupSize = 16
    /// Groups of a large file uploading at once while sealing goes on.
    static let uploadGroupsInFlight = 3
    /// Spare copy arrays kept for the next group, in bytes (`BlobCopyPool`).
    static let spareCopyByteLimit = 2 * (BlobUploader.batchByteLimit + ChunkCipher.maximumBlobByteCount)

    let root: SyncRoot
    let generation: VaultKeyring.Generation
    let sealer: FileSealer
    let uploader: BlobUploader?
    let faultHook: SyncFaultHook?

    /// Largest file sealed without the pipeline.
    var smallFileLimit: Int { generation.chunker.parameters.minimumSize }

    /// Seals small files (each expected at most `smallFileLimit` bytes) together, then uploads
    /// what the server lacks in batches. A file that grew past the limit is sealed through the
    /// pipeline instead.
    func sealSmallFiles(_ paths: [LocalPath]) async throws -> [SealResult] {
        let root = root, cipher = generation.chunks, limit = smallFileLimit, hook = faultHook
        let read = try await HTTPBlockingWork.run {
            // One read buffer for the group: a fresh zeroed buffer of `limit + 1` bytes per file
            // cost more than reading and sealing a 4 KiB file (memset and page faults).
            var buffer = [UInt8](repeating: 0, count: limit + 1)
            defer { SecretBytes.wipe(&buffer) }
            return try paths.map { path in
                try Self.sealWhole(path, root: root, cipher: cipher, buffer: &buffer, faultHook: hook)
            }
        }
        let blobs = read.compactMap { $0.blob.map { BlobPayload(id: BlobID(bytes: $0.reference.blobID)!, bytes: $0.blob) } }
        if let uploader { try await uploader.upload(blobs) }
        var results: [SealResult] = []
        for (index, item) in read.enumerated() {
            if let result = item.result {
                results.append(result)
            } else {
                results.append(try await sealLarge(paths[index]))
            }
        }
        return results
    }

    /// Seals one file of any size. Chunks of `previous` (the file's last synced chunk list)
    /// that the chunk cache places on the server and that the file still holds are not sealed
    /// again (`KnownChunks`), nor uploaded.
    func seal(_ path: LocalPath, previous: [ChunkReference] = []) async throws -> SealResult {
        try await sealLarge(path, known: try await knownChunks(among: previous))
    }

    /// The chunks of `references` the server holds, as far as the chunk cache knows (a blob
    /// the server reported missing was forgotten there, so it is sealed and sent again).
    private func knownChunks(among references: [ChunkReference]) async throws -> KnownChunks? {
        guard !references.isEmpty else { return nil }
        guard let uploader else { return KnownChunks(references) }
        let held = try await uploader.index.knownBlobs(references.compactMap { BlobID(bytes: $0.blobID) })
        return KnownChunks(references.filter { BlobID(bytes: $0.blobID).map(held.contains) ?? false })
    }

    /// One small file read whole into `buffer` and sealed as one chunk; `result` nil when it
    /// turned out larger than `buffer.count - 1` bytes, the small-file limit (it goes through
    /// the pipeline then).
    private static func sealWhole(
        _ path: LocalPath, root: SyncRoot, cipher: ChunkCipher, buffer: inout [UInt8], faultHook: SyncFaultHook?
    ) throws -> (result: SealResult?, blob: SealedChunk?) {
        let reader: StableFileReader
        switch openReader(path, root: root, faultHook: faultHook) {
        case .success(let opened): reader = opened
        case .failure(let failure): return (failure.result, nil)
        }
        try faultHook?(.readingForUpload(path: path.onDisk))
        let limit = buffer.count - 1
        // Up to `limit + 1` bytes: one more than a small file holds tells a file that grew.
        let filled = buffer.withUnsafeMutableBytes { whole -> Result<Int, LocalFSError> in
            var filled = 0
            while filled < whole.count {
                let rest = UnsafeMutableRawBufferPointer(rebasing: whole[filled...])
                switch Result(catching: { () throws(LocalFSError) in try reader.read(into: rest) }) {
                case .success(0): return .success(filled)
                case .success(let piece): filled += piece
                case .failure(let error): return .failure(error)
                }
            }
            return .success(filled)
        }
        let count: Int
        switch filled {
        case .success(let read): count = read
        case .failure(.system(_, let code)): return (.unreadable(errno: code), nil)
        case .failure(let error): throw error
        }
        guard count <= limit else { return (nil, nil) }
        // A failing re-check (the path's folder gone meanwhile...) is a change too: retry later.
        guard case .stable(let metadata) = (try? reader.finish()) ?? .changedWhileReading else {
            return (.changedWhileReading, nil)
        }
        let sealed = count == 0 ? nil : try buffer.withUnsafeBytes { try cipher.seal(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        let chunks = sealed.map { [$0.reference] } ?? []
        return (.sealed(SealedContent(chunks: chunks, manifest: StoredManifest(.inline(chunks)), metadata: metadata)), sealed)
    }

    /// A large file through the pipeline: blobs streamed to the uploader in groups, then the
    /// manifest packed (and its blobs uploaded when it is indirect).
    private func sealLarge(_ path: LocalPath, known: KnownChunks? = nil) async throws -> SealResult {
        let root = root
        let hook = faultHook
        let opened = try await HTTPBlockingWork.run { Self.openReader(path, root: root, faultHook: hook).map(StableSource.init) }
        let source: StableSource
        switch opened {
        case .success(let reader): source = reader
        case .failure(let failure): return failure.result
        }
        try faultHook?(.readingForUpload(path: path.onDisk))
        let file: SealedFile
        do {
            file = try await sealStreaming(source, known: known)
        } catch let error as LocalFSError {
            guard case .system(_, let code) = error else { return .changedWhileReading }
            return .unreadable(errno: code)
        }
        let verdict = try await HTTPBlockingWork.run { (try? source.reader.finish()) ?? .changedWhileReading }
        guard case .stable(let metadata) = verdict else {
            return .changedWhileReading
        }
        let packed = try ManifestPacking.pack(file.chunks, using: generation.chunks)
        try await uploader?.upload(packed.blobs.map { BlobPayload(id: BlobID(bytes: $0.reference.blobID)!, bytes: $0.blob) })
        return .sealed(SealedContent(chunks: file.chunks, manifest: StoredManifest(packed.manifest), metadata: metadata))
    }

    /// Seals a large file, its blobs handed to the uploader in groups that upload while sealing
    /// goes on: at most `uploadGroupsInFlight` groups at once, so the sealer waits for the
    /// network only when that many are behind (memory stays bounded by them, and by up to two
    /// batch requests' worth of spare arrays, `BlobCopyPool`). Returns once
    /// every group is uploaded; the first failure cancels the others and is thrown.
    private func sealStreaming(_ source: StableSource, known: KnownChunks?) async throws -> SealedFile {
        let sealer = sealer
        guard let uploader else { return try await sealer.seal(source, reusing: known) { _ in } }
        // Each upload task hands its group back, so a later group refills the same arrays.
        return try await withThrowingTaskGroup(of: [BlobPayload].self) { uploads in
            var group: [BlobPayload] = []
            var inFlight = 0
            // Spares up to two batch requests' bytes: a group of 16 chunks of the mean size
            // (about 1.4 MiB) needs more than one, and with a choice of sizes most of the
            // next group's blobs find an array (a replay of modelled chunk sizes of a 1 GiB
            // upload: 150-190 MiB copied into fresh arrays, against about 420 before).
            var copies = BlobCopyPool(spareByteLimit: Self.spareCopyByteLimit)
            let file = try await sealer.seal(source, reusing: known) { blob in
                guard !blob.isKnown else { return }
                group.append(BlobPayload(id: BlobID(bytes: blob.blobID)!, bytes: copies.copy(blob)))
                guard group.count == Self.uploadGroupSize else { return }
                if inFlight == Self.uploadGroupsInFlight {
                    if let uploaded = try await uploads.next() { copies.recycle(uploaded) }
                    inFlight -= 1
                }
                let batch = group
                uploads.addTask {
                    try await uploader.upload(batch)
                    return batch
                }
                inFlight += 1
                group.removeAll()
            }
            let rest = group
            if !rest.isEmpty {
                uploads.addTask {
                    try await uploader.upload(rest)
                    return rest
                }
            }
            try await uploads.waitForAll()
            return file
        }
    }

    /// Opens a file for a consistent read, or says why not.
    private static func openReader(_ path: LocalPath, root: SyncRoot, faultHook: SyncFaultHook?) -> Result<StableFileReader, ReadFailure> {
        do {
            try faultHook?(.openingForUpload(path: path.onDisk))
            return .success(try StableFileReader(root: root, path: path))
        } catch LocalFSError.system(_, let code) {
            return .failure(ReadFailure(result: .unreadable(errno: code)))
        } catch {
            // Gone, or no longer a regular file: the next scan sees what it is now.
            return .failure(ReadFailure(result: .changedWhileReading))
        }
    }

    private struct ReadFailure: Error {
        let result: SealResult
    }
}

/// A `StableFileReader` as the sealer's byte source.
///
/// `@unchecked Sendable`: `FileSealer.seal` hands the source to its reader thread and returns
/// only once that thread has let go of it; before and after, only the calling task touches the
/// reader (to open it, then to `finish()` it). Never two threads at once.
final class StableSource: ByteSource, @unchecked Sendable {
    let reader: StableFileReader

    init(_ reader: StableFileReader) {
        self.reader = reader
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try reader.read(into: buffer)
    }
}
