import CoffreProtocol
import HTTPServer

extension BlobLayer {
    /// Opens blob `id` of `vault` for `user` as `open` does and, when it has at most
    /// `SmallBlobCache.maxBlobBytes`, keeps its bytes for the GET's fast lane (one pread(2) on
    /// the loop thread, as the HTTP connection does to send a small file with its head; the
    /// very bytes read from the database for a blob kept there). A
    /// read that fails or comes up short only skips the caching.
    func openRemembering(_ id: BlobID, in vault: VaultID, user: Int64) async throws -> any BlobReader {
        // Read before the file is opened: a deletion after this refuses the insert below.
        let generation = smallBlobs.generation
        let reader = try await open(id, in: vault, user: user)
        remember(reader, as: id, in: vault, generation: generation)
        return reader
    }

    /// Blob `id` of `vault` opened from its file without waiting, when `user` is known to be a
    /// member of `vault` (`VaultReaderCache`), remembered as `openRemembering` does; nil when
    /// the membership is not cached, no file holds the blob (kept in the database, missing or
    /// collected) or the open fails — then the route's task (`openRemembering`) decides and
    /// answers. The same openat(2) and fstat(2) on the loop thread as `open`.
    func openKnownMemberFile(_ id: BlobID, in vault: VaultID, user: Int64) -> (any BlobReader)? {
        guard readers.isKnownMember(user, of: vault), let namespace = try? Self.namespace(vault) else { return nil }
        let generation = smallBlobs.generation
        guard let reader = try? disk.open(namespace: namespace, id: id) else { return nil }
        remember(reader, as: id, in: vault, generation: generation)
        return reader
    }

    /// Keeps the bytes of `reader` for the fast lanes when it has at most
    /// `SmallBlobCache.maxBlobBytes`; `generation` was read before it was opened.
    private func remember(_ reader: any BlobReader, as id: BlobID, in vault: VaultID, generation: UInt64) {
        if reader.size <= Int64(SmallBlobCache.maxBlobBytes), let bytes = Self.contents(of: reader) {
            smallBlobs.insert(bytes, as: id, in: vault, generation: generation)
        }
    }

    /// The bytes of blob `id` of `vault` when they are cached and `user` is known to be a
    /// member of `vault`, without waiting; nil otherwise (then `openRemembering` decides).
    func cachedSmallBlob(_ id: BlobID, in vault: VaultID, user: Int64) -> [UInt8]? {
        guard readers.isKnownMember(user, of: vault) else { return nil }
        return smallBlobs.bytes(of: id, in: vault)
    }

    /// All of a small blob's bytes in one read (none for one kept in the database), or nil.
    private static func contents(of reader: any BlobReader) -> [UInt8]? {
        if let inline = reader as? InlineBlobReader { return inline.bytes }
        let size = Int(reader.size)
        var complete = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            // BlobReader.read: fewer bytes than asked only at the end of the blob.
            let read = (try? reader.read(into: UnsafeMutableRawBufferPointer(buffer), at: 0)) ?? 0
            complete = read == size
            count = complete ? size : 0
        }
        return complete ? bytes : nil
    }

    /// Body bytes produced by one blocking read of a blob-fetch answer.
    static let fetchPieceBytes = 256 << 10

    /// The answer body of a blob fetch of `ids` in `vault` by `user` (a reader, checked before
    /// anything is sent, as for one blob's GET): `BlobBatchFraming` records, a piece at a time
    /// (`BlobFetchStream`), each piece read in one `HTTPBlockingWork.run` and written before the
    /// next is read.
    func fetch(_ ids: [BlobID], in vault: VaultID, user: Int64) async throws -> HTTPResponseBody {
        guard ids.count <= BlobFetchRequest.maxIDs else {
            throw SyncError.invalidRequest("at most \(BlobFetchRequest.maxIDs) ids per fetch")
        }
        try await readers.checkMember(user, of: vault)
        let start = BlobFetchStream(
            disk: disk, store: store, vault: vault, ids: ids, maxBytes: BlobFetchRequest.maxResponseBytes)
        return .stream(length: nil) { writer in
            var stream = start
            while true {
                let before = stream
                let (piece, advanced) = try await HTTPBlockingWork.run {
                    var moving = before
                    let piece = try moving.nextPiece(pieceBytes: Self.fetchPieceBytes)
                    return (piece, moving)
                }
                guard let piece else { return }
                stream = advanced
                try await writer.write(piece)
            }
        }
    }
}
